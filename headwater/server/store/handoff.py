"""Freed slots of a concurrency limit go straight to the head of its queue, in the
transaction that freed them.

A waiter that asked for one limit's slots with a wake address (it is waiting right
now) queues with what its lease would be (``Handoff``: duration, holder, runs).
When slots of that limit are given back (a release, an expiry, a run that ended),
the releaser, which holds the limit's row (``slot_counts.uncount``), takes the
waiters at the head of the queue in order, while they fit: it inserts each one's
lease, with the waiter's ticket as the lease's id, counts it on the limit's row and
deletes the waiter's row; after commit the waiter is woken by a datagram saying it
holds its lease (``granted_payload``: no look-up, no asking again).  A grant then
costs the waiter no write transaction and waits for no process to be scheduled
first: the next holder is decided the moment the slot frees, in queue order.

The head of the queue stops the hand-off when it does not fit, or cannot be handed
slots (several limits, a rate limit, no wake address): it is woken as before and asks
itself.  A waiter handed slots that leaves the queue instead (timed out, cancelled)
gives them back (``leases.leave_queue``), and one whose process is gone is found
when it is woken (``leases._send_wakes``); otherwise its lease runs out like any.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, select, text

from headwater.core import wake
from headwater.schemas.concurrency import SlotGrant
from headwater.server.db.tables import lease_waiters, leases
from headwater.server.db.types import UUIDType
from headwater.server.store import slot_counts

L = leases.c
W = lease_waiters.c

#: Queued waiters read per limit when handing slots off.
_LOOKAHEAD = 8

# PostgreSQL: the waiters at the head of the queue (``size`` of them), the prefix of
# them that can be handed their slots (each with a lease to be, a wake address, and
# room for it and every one before it) given those slots: their leases inserted (a
# ticket holding its lease already gets none), their rows deleted, the slots counted
# on the limit's row.  One row per waiter handed its slots (ticket, wake, slots), or
# one row of NULLs; the first column is how many waiters were read (0: nobody waits).
_PG_HAND_WITH = (
    "WITH first AS (SELECT id, ticket, slots, wake, duration, holder, flow_run_id, "
    "task_run_id FROM lease_waiters WHERE resource = :resource AND expires > :now "
    "ORDER BY id LIMIT :size), "
    "heads AS (SELECT first.*, sum(slots) OVER w AS upto, "
    "bool_and(duration IS NOT NULL AND coalesce(wake, '') <> '') OVER w AS ready "
    "FROM first WINDOW w AS (ORDER BY id)), "
    "taken AS (SELECT * FROM heads WHERE ready AND upto <= :room), "
    "ins AS (INSERT INTO leases (id, resource, slots, holder, duration, expires, "
    "flow_run_id, task_run_id, created) SELECT ticket, :resource, slots, "
    "coalesce(nullif(holder, ''), 'unknown'), duration, "
    "CAST(:now AS double precision) + duration, flow_run_id, task_run_id, :now FROM taken "
    "ON CONFLICT DO NOTHING RETURNING id, slots), "
    "gone AS (DELETE FROM lease_waiters WHERE ticket IN (SELECT ticket FROM taken)), "
    "counted AS (UPDATE concurrency_limits SET held = held + s.n "
    "FROM (SELECT sum(slots) AS n FROM ins) AS s WHERE id = :id AND s.n IS NOT NULL)"
)
_PG_HAND_ROWS = (
    " SELECT (SELECT count(*) FROM first), t.ticket, t.wake, t.slots{more} FROM "
    "(SELECT 1) AS one LEFT JOIN (SELECT taken.id, taken.ticket, taken.wake, ins.slots "
    "FROM taken JOIN ins ON ins.id = taken.ticket) AS t ON true ORDER BY t.id"
)
_PG_HAND = text(_PG_HAND_WITH + _PG_HAND_ROWS.format(more="")).bindparams(
    bindparam("id", type_=UUIDType())
)
# The same, then the releasing transaction's own request keeps its place at the tail
# if the limit is still full (``slot_counts.Place``), counting the leases just handed
# (the statement's snapshot does not show them) and unless the hand-off handed it its
# slots: one statement fewer with the limit's row locked.  Further columns: whether
# the limit is the one asked for, whether the asker queued, when to look again.
_PG_HAND_PLACE = text(
    _PG_HAND_WITH
    + ", mine AS ("
    + slot_counts.PG_QUEUE_INSERT.format(
        more=" + coalesce((SELECT sum(slots) FROM ins), 0)",
        where=" AND concurrency_limits.id = :id AND NOT EXISTS (SELECT 1 FROM taken "
        "WHERE taken.ticket = CAST(:lease_id AS uuid))",
    )
    + "RETURNING 1)"
    + _PG_HAND_ROWS.format(
        more=", (SELECT count(*) FROM concurrency_limits WHERE id = :id AND name = :name), "
        "(SELECT count(*) FROM mine), (SELECT min(e) FROM (SELECT expires AS e FROM leases "
        "WHERE resource = :resource AND expires > :now UNION ALL SELECT "
        "CAST(:now AS double precision) + taken.duration FROM taken JOIN ins "
        "ON ins.id = taken.ticket) AS live)"
    )
).bindparams(*(bindparam(name, type_=UUIDType()) for name in ("id", *slot_counts.UUID_PARAMS)))
_GRANTED = select(L.duration).where(L.id == bindparam("ticket")).limit(1)


@dataclass(frozen=True)
class Handoff:
    """What a waiter's lease will be if a release hands it the slots."""

    duration: float
    holder: str
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "holder": self.holder[:200],
            "flow_run_id": self.flow_run_id,
            "task_run_id": self.task_run_id,
        }


def hand_off(
    conn: Connection,
    rooms: Mapping[str, int],
    now: float | None = None,
    place: slot_counts.Place | None = None,
) -> tuple[dict[str, int], list[tuple[str, UUID]], set[str]]:
    """Give ``rooms`` (free slots per limit resource, counted under the limit's row
    lock the caller holds) to the waiters at the head of each queue that can take
    them.  The slots handed per resource, who to wake (address, ticket) after
    commit (they hold their lease already), and the resources nobody is queued for
    (nobody to wake either).  ``place``: PostgreSQL tries it in the same statement
    (and notes on it what came of it)."""
    now = time.time() if now is None else now
    handed: dict[str, int] = {}
    woken: list[tuple[str, UUID]] = []
    empty: set[str] = set()
    # SQLite: the driver's own statements (SQLAlchemy's per-statement work cost more
    # than they do, under the write lock every other writer waits for).
    sqlite = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    for resource, room in sorted(rooms.items()):
        found = slot_counts.limit_id(resource)
        if found is None or room <= 0:
            continue
        size = min(room, _LOOKAHEAD) + 1
        if sqlite is None:
            # PostgreSQL: the whole hand-off in one statement, run after the one that
            # locked the limit's row (a fresh snapshot: it sees every waiter that
            # queued while this transaction waited for the row).
            params = {"id": found, "resource": resource, "now": now, "size": size, "room": room}
            if place is not None and not place.tried:
                rows = conn.execute(_PG_HAND_PLACE, {**place.params, **params}).all()
                place.tried, place.queued = bool(rows[0][4]), bool(rows[0][5])
                place.retry_at = rows[0][6]
            else:
                rows = conn.execute(_PG_HAND, params).all()
            if not rows[0][0]:
                empty.add(resource)
                continue
            slots = 0
            for _, ticket, address, given, *_more in rows:
                if ticket is not None:
                    slots += given
                    woken.append((address, ticket))
            handed[resource] = slots
            continue
        heads: list[Any] = [
            _Head(UUID(bytes=row[0]), *row[1:], raw=row)
            for row in sqlite.execute(_SQLITE_HEAD, (resource, now, size)).fetchall()
        ]
        if not heads:
            empty.add(resource)
            continue
        taken: list[Any] = []
        for row in heads:
            if row.duration is None or not row.wake or row.slots > room:
                break  # the head asks for itself: FIFO, nobody passes it
            taken.append(row)
            room -= row.slots
        if not taken:
            continue
        slots = _hand_sqlite(sqlite, taken, resource, now, woken)
        if slots:
            slot_counts.add(conn, found, slots)
        handed[resource] = slots
    return handed, woken, empty


_SQLITE_HEAD = (
    "SELECT ticket, slots, wake, duration, holder, flow_run_id, task_run_id "
    "FROM lease_waiters WHERE resource = ? AND expires > ? ORDER BY id LIMIT ?"
)
_SQLITE_INSERT = (
    "INSERT INTO leases (id, resource, slots, holder, duration, expires, flow_run_id, "
    "task_run_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
_SQLITE_GONE = "DELETE FROM lease_waiters WHERE ticket = ?"


class _Head:
    """A waiter's row read by the driver (``raw``: the row, UUIDs as bytes)."""

    __slots__ = ("duration", "holder", "raw", "slots", "ticket", "wake")

    def __init__(
        self,
        ticket: UUID,
        slots: int,
        wake: str | None,
        duration: float | None,
        holder: str | None,
        *_runs: Any,
        raw: Any,
    ) -> None:
        self.ticket, self.slots, self.wake = ticket, slots, wake
        self.duration, self.holder, self.raw = duration, holder, raw


def _hand_sqlite(
    sqlite: Any, taken: list[Any], resource: str, now: float, woken: list[tuple[str, UUID]]
) -> int:
    """SQLite: insert the leases of ``taken`` and remove them from the queue; the
    slots handed (``woken`` gets whom to tell)."""
    slots = 0
    for row in taken:
        raw = row.raw
        holder, duration = row.holder or "unknown", row.duration
        lease = (raw[0], resource, row.slots, holder, duration, now + duration, *raw[5:], now)
        # Nothing inserted: the ticket holds this lease already (not expected).
        if sqlite.execute(_SQLITE_INSERT, lease).fetchall():
            slots += row.slots
            woken.append((row.wake, row.ticket))
        sqlite.execute(_SQLITE_GONE, (raw[0],)).fetchall()
    return slots


def granted_payload(ticket: UUID) -> bytes:
    """The wake-up of a waiter that holds its lease now (sent after commit)."""
    return ticket.bytes + wake.GRANTED


def granted(conn: Connection, ticket: UUID) -> float | None:
    """The duration of the lease ``ticket`` was granted (its id is the ticket), or
    None when it holds none (yet)."""
    found = conn.execute(_GRANTED, {"ticket": ticket}).scalar()
    return None if found is None else float(found)


def grant_for(
    conn: Connection, ticket: UUID, refused: SlotGrant, duration: float
) -> SlotGrant | None:
    """The grant of a waiter (last answered ``refused``) that a release handed its
    slots, or None: a read, for a waiter just woken."""
    held = granted(conn, ticket)
    if held is None:
        return None
    return handed(ticket, refused, held or duration)


def handed(ticket: UUID, refused: SlotGrant, duration: float) -> SlotGrant:
    """The grant of a waiter (last answered ``refused``) handed its slots, whose
    lease lasts ``duration`` (the one it queued with)."""
    return SlotGrant(
        lease_id=ticket, lease_duration=duration, limits=refused.limits, missing=refused.missing
    )
