"""The slots held on each concurrency limit, kept on its row (``held``), and the
one-statement way of taking a slot that they allow.

``held`` is the sum of ``slots`` over the limit's lease rows (``limit:<id>``), live
or expired but not yet deleted: every insert of such a row adds to it (``take``,
``count_within``) and every delete subtracts (``uncount``, called by ``server/store/leases.py`` for
each row it deletes).  Since a lease row that expired still counts until it is
deleted, ``held`` is never below the slots live leases hold, so a conditional
``UPDATE … SET held = held + n WHERE held + n <= limit`` never lets a limit be
exceeded; a limit whose room is taken by expired rows is left to the full path,
which deletes them first.

``take`` is the common case in one round trip: one limit, nobody queued for it (the
asker included), a slot free.  On PostgreSQL the UPDATE and the lease's INSERT are one statement (a
data-modifying ``WITH``); the row lock the UPDATE takes orders it against other
takers, releases and the full path (which locks the row first and counts what it
grants the same way, ``count_within``).  That row lock is the only lock taken, and
taken first: a ``take`` that waited on the row and then found the limit full goes
on to the full path holding it, which must therefore not lock anything before the
row (it did: an advisory lock, and the two deadlocked).
On SQLite, where statements cost no round trip, they are two statements inside the
write transaction that already excludes every other writer.  Anything else (a
waiter keeping its place or already handed its slots, several limits, a rate limit,
a full or missing or inactive limit) returns None and takes the full path
(``concurrency_limits.py``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, text

from headwater.schemas.concurrency import SlotGrant, SlotRequest
from headwater.server.db.types import UUIDType
from headwater.utilities.ids import new_id

PREFIX = "limit:"

UUID_PARAMS = ("lease_id", "flow_run_id", "task_run_id")

# SQLite keeps UUIDs as 16 bytes: the resource string is their dashed lowercase hex.
_HEX = "hex(concurrency_limits.id)"  # qualified: lease_waiters has an id too
_SQLITE_RESOURCE = (
    f"'limit:' || lower(substr({_HEX}, 1, 8) || '-' || substr({_HEX}, 9, 4) || '-' || "
    f"substr({_HEX}, 13, 4) || '-' || substr({_HEX}, 17, 4) || '-' || substr({_HEX}, 21))"
)
_NOBODY_QUEUED = (
    "NOT EXISTS (SELECT 1 FROM lease_waiters WHERE lease_waiters.resource = {resource} "
    "AND lease_waiters.expires > :now)"
)
_ROOM = 'name = :name AND active AND "limit" >= held + :slots AND '
# A ticket already granted (handed its slots by a release) takes no more.
_NOT_GRANTED = " AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.id = :lease_id)"

# SQLite's statements go to the driver as they are (UUIDs as their 16 bytes).
_SQLITE_TAKE_RAW = (
    "UPDATE concurrency_limits SET held = held + :slots WHERE "
    + _ROOM
    + _NOBODY_QUEUED.format(resource=_SQLITE_RESOURCE)
    + _NOT_GRANTED
    + f" RETURNING {_SQLITE_RESOURCE}"
)
_SQLITE_INSERT_RAW = (
    "INSERT INTO leases (id, resource, slots, holder, duration, expires, flow_run_id, "
    "task_run_id, created) VALUES (:lease_id, :resource, :slots, :holder, :duration, "
    ":expires, :flow_run_id, :task_run_id, :now)"
)
_SQLITE_LIVE = (
    "(SELECT coalesce(sum(slots), 0) FROM leases WHERE leases.resource = {resource} "
    "AND leases.expires > :now)"
)
# A waiter asking again while the limit is full of live leases: it keeps its place
# (or takes one), as the full path would decide, in one statement that also says
# when the first of those leases runs out (when to look again at the latest).
_SQLITE_QUEUE_RAW = (
    "INSERT INTO lease_waiters (ticket, resource, slots, wake, expires, created, "
    "duration, holder, flow_run_id, task_run_id) "
    f"SELECT :lease_id, {_SQLITE_RESOURCE}, :slots, :wake, :waiter_expires, :now, "
    ":duration, :holder, :flow_run_id, :task_run_id FROM concurrency_limits "
    'WHERE name = :name AND active AND "limit" >= :slots AND "limit" < :slots + '
    + _SQLITE_LIVE.format(resource=_SQLITE_RESOURCE)
    + _NOT_GRANTED
    + " ON CONFLICT (ticket, resource) DO UPDATE SET expires = excluded.expires, "
    "wake = excluded.wake, duration = excluded.duration, holder = excluded.holder, "
    "flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id "
    "RETURNING (SELECT min(expires) FROM leases WHERE leases.resource = "
    "lease_waiters.resource AND leases.expires > :now)"
)
_SQLITE_ADD_RAW = "UPDATE concurrency_limits SET held = held + ? WHERE id = ?"
_SQLITE_RELEASE_RAW = "DELETE FROM leases WHERE id = ? RETURNING resource, slots"
# Counted off under SQLite's write lock, which every queuer holds too: whether anyone
# waits for the limit is known in the same statement (on PostgreSQL a waiter that
# committed while this waited on the row would be missed by the statement's snapshot).
_SQLITE_SUBTRACT_RAW = (
    "UPDATE concurrency_limits SET held = held - ? WHERE id = ? "
    'RETURNING "limit" - held, active, EXISTS (SELECT 1 FROM lease_waiters '
    "WHERE lease_waiters.resource = ? AND lease_waiters.expires > ?)"
)

_PG_RESOURCE = "'limit:' || concurrency_limits.id::text"
_PG_TAKE = text(
    "WITH took AS (UPDATE concurrency_limits SET held = held + :slots WHERE "
    + _ROOM
    + _NOBODY_QUEUED.format(resource=_PG_RESOURCE)
    + _NOT_GRANTED
    + f" RETURNING {_PG_RESOURCE} AS resource) "
    "INSERT INTO leases (id, resource, slots, holder, duration, expires, flow_run_id, "
    "task_run_id, created) SELECT CAST(:lease_id AS uuid), took.resource, "
    "CAST(:slots AS integer), CAST(:holder AS varchar), CAST(:duration AS double precision), "
    "CAST(:expires AS double precision), CAST(:flow_run_id AS uuid), "
    "CAST(:task_run_id AS uuid), CAST(:now AS double precision) FROM took "
    "RETURNING leases.resource"
).bindparams(*(bindparam(name, type_=UUIDType()) for name in UUID_PARAMS))

_PG_LIVE = (
    "(SELECT coalesce(sum(slots), 0) FROM leases WHERE leases.resource = "
    f"{_PG_RESOURCE} AND leases.expires > :now)"
)
# PostgreSQL, under the limit's row lock taken by an earlier statement of the
# transaction (so this one's snapshot holds every release committed before): the same
# as SQLite's.  ``{more}``: further slots held (that the snapshot does not show) and
# further conditions (``handoff.py`` runs it in the hand-off's statement).
PG_QUEUE_INSERT = (
    "INSERT INTO lease_waiters (ticket, resource, slots, wake, expires, created, "
    "duration, holder, flow_run_id, task_run_id) "
    f"SELECT CAST(:lease_id AS uuid), {_PG_RESOURCE}, :slots, :wake, :waiter_expires, "
    ":now, :duration, :holder, CAST(:flow_run_id AS uuid), CAST(:task_run_id AS uuid) "
    'FROM concurrency_limits WHERE name = :name AND active AND "limit" >= :slots AND '
    '"limit" < :slots + '
    + _PG_LIVE
    + "{more}"
    + _NOT_GRANTED.replace(":lease_id", "CAST(:lease_id AS uuid)")
    + "{where}"
    + " ON CONFLICT (ticket, resource) DO UPDATE SET expires = excluded.expires, "
    "wake = excluded.wake, duration = excluded.duration, holder = excluded.holder, "
    "flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id "
)
_PG_QUEUE = text(
    PG_QUEUE_INSERT.format(more="", where=f" AND {_PG_RESOURCE} = ANY(CAST(:locked AS text[]))")
    + "RETURNING (SELECT min(expires) FROM leases WHERE leases.resource = "
    "lease_waiters.resource AND leases.expires > :now)"
).bindparams(*(bindparam(name, type_=UUIDType()) for name in UUID_PARAMS))

_ADD = text("UPDATE concurrency_limits SET held = held + :slots WHERE id = :id").bindparams(
    bindparam("id", type_=UUIDType())
)
_SUBTRACT = text(
    "UPDATE concurrency_limits SET held = held - :slots WHERE id = :id "
    'RETURNING "limit" - held, active'
).bindparams(bindparam("id", type_=UUIDType()))
_ADD_WITHIN = text(
    "UPDATE concurrency_limits SET held = held + :slots "
    'WHERE id = :id AND held + :slots <= "limit" RETURNING id'
).bindparams(bindparam("id", type_=UUIDType()))


def take(
    conn: Connection,
    *,
    request: SlotRequest,
    default_duration: float,
    now: float | None = None,
) -> SlotGrant | None:
    """The slot taken in one statement when the common case applies, else None
    (nothing was changed: ask ``concurrency_limits.acquire_slots``)."""
    if request.mode != "concurrency" or len(set(request.names)) != 1:
        return None
    now = time.time() if now is None else now
    # With a ticket the lease's id is the ticket (an ask repeated after a lost answer
    # finds it); a queued ticket is refused here (it is someone queued).
    lease_id = request.ticket or new_id()
    duration = request.lease_duration or default_duration
    params: dict[str, Any] = {
        "name": request.names[0],
        "slots": request.slots,
        "now": now,
        "lease_id": lease_id,
        "holder": (request.holder or "unknown")[:200],
        "duration": duration,
        "expires": now + duration,
        "flow_run_id": request.flow_run_id,
        "task_run_id": request.task_run_id,
    }
    if conn.dialect.name == "postgresql":
        if conn.execute(_PG_TAKE, params).first() is None:
            return None
    else:
        # The driver's own connection: SQLAlchemy's per-statement work cost more than
        # these two statements do (see the module doc).
        sqlite = conn.connection.driver_connection
        params["lease_id"] = lease_id.bytes
        params["flow_run_id"] = _bytes(request.flow_run_id)
        params["task_run_id"] = _bytes(request.task_run_id)
        took = sqlite.execute(_SQLITE_TAKE_RAW, params).fetchall()  # type: ignore[union-attr]
        if not took:
            return None
        params["resource"] = took[0][0]
        sqlite.execute(_SQLITE_INSERT_RAW, params).fetchall()  # type: ignore[union-attr]
    return SlotGrant(lease_id=lease_id, lease_duration=duration, limits=[request.names[0]])


@dataclass
class Place:
    """A waiter's place to keep if its limit is full (``queue_full``'s statement's
    parameters), tried in a release's hand-off on PostgreSQL (``handoff.py``): whether
    it was tried there, whether the waiter queued, when to look again."""

    name: str
    params: dict[str, Any]
    tried: bool = False
    queued: bool = False
    retry_at: float | None = None


def place(
    request: SlotRequest,
    *,
    default_duration: float,
    wake_address: str | None,
    waiter_ttl: float,
    now: float,
) -> Place | None:
    """The place ``request`` keeps if its limit is full, or None when it may not be
    kept in one statement (no ticket or wake address, several limits, a rate limit)."""
    if (
        request.ticket is None
        or not wake_address
        or request.mode != "concurrency"
        or len(set(request.names)) != 1
    ):
        return None
    params = {
        "name": request.names[0],
        "slots": request.slots,
        "now": now,
        "lease_id": request.ticket,
        "wake": wake_address,
        "waiter_expires": now + waiter_ttl,
        "duration": request.lease_duration or default_duration,
        "holder": (request.holder or "unknown")[:200],
        "flow_run_id": request.flow_run_id,
        "task_run_id": request.task_run_id,
    }
    return Place(request.names[0], params)


def queue_full(
    conn: Connection,
    *,
    request: SlotRequest,
    default_duration: float,
    wake_address: str | None,
    waiter_ttl: float,
    now: float,
    locked: Collection[str] | None = None,
) -> tuple[SlotGrant, float | None] | None:
    """After ``take`` refused: a waiter (ticket, wake address, one limit) whose limit
    is full of live leases keeps its place in the queue in one statement (ready to be
    handed its slots, ``handoff.py``); the refusal and when to look again.  None
    when that is not the case (the full path decides).

    On PostgreSQL only if the limit's resource is among ``locked``, the limits whose
    rows an earlier statement of the transaction locked: a statement that waited for
    the row itself would read the leases and the queue as they were before it waited,
    and a waiter queued on a release it did not see would not be woken."""
    postgres = conn.dialect.name == "postgresql"
    kept = place(
        request,
        default_duration=default_duration,
        wake_address=wake_address,
        waiter_ttl=waiter_ttl,
        now=now,
    )
    if kept is None or (postgres and not locked):
        return None
    params = kept.params
    if postgres:
        queued = conn.execute(_PG_QUEUE, {**params, "locked": sorted(locked or ())}).all()
    else:
        params = {
            key: _bytes(value) if key in UUID_PARAMS else value for key, value in params.items()
        }
        sqlite = conn.connection.driver_connection
        queued = sqlite.execute(_SQLITE_QUEUE_RAW, params).fetchall()  # type: ignore[union-attr]
    if not queued:
        return None
    return SlotGrant(limits=[kept.name]), queued[0][0]


def limit_id(resource: str) -> UUID | None:
    """The limit whose slots ``resource`` names, or None (a lock, a cache key)."""
    if not resource.startswith(PREFIX):
        return None
    try:
        return UUID(resource[len(PREFIX) :])
    except ValueError:
        return None


def _by_limit(rows: Iterable[tuple[str, int]]) -> dict[UUID, int]:
    totals: dict[UUID, int] = defaultdict(int)
    for resource, slots in rows:
        found = limit_id(resource)
        if found is not None:
            totals[found] += slots
    return totals


def count_within(conn: Connection, taken: Mapping[str, int]) -> bool:
    """Count the slots about to be taken (resource: slots) on their limits, each only
    if it stays within its limit; False (and nothing counted) if one would not.

    The full path decided from the live lease rows while holding the limits' rows
    (SQLite's write lock; PostgreSQL: locked by its first statement), so no ``take``
    came in between; what can refuse here is rows of expired leases not yet
    deleted."""
    done: list[tuple[UUID, int]] = []
    for found, slots in sorted(_by_limit(taken.items()).items()):
        if conn.execute(_ADD_WITHIN, {"id": found, "slots": slots}).first() is None:
            for undo, undo_slots in done:
                conn.execute(_ADD, {"id": undo, "slots": -undo_slots})
            return False
        done.append((found, slots))
    return True


def add(conn: Connection, limit: UUID, slots: int) -> None:
    """Lease rows of ``slots`` on ``limit`` were inserted (the caller checked room)."""
    if conn.dialect.name == "sqlite":
        sqlite = conn.connection.driver_connection
        sqlite.execute(_SQLITE_ADD_RAW, (slots, limit.bytes)).fetchall()  # type: ignore[union-attr]
        return
    conn.execute(_ADD, {"id": limit, "slots": slots})


def uncount(
    conn: Connection, freed: Iterable[tuple[str, int]], now: float | None = None
) -> tuple[dict[str, int], set[str]]:
    """Lease rows (resource, slots) were deleted (in id order: no deadlocks); the
    room now left on each active limit they were counted on (resource: free slots,
    counting rows of expired leases not yet deleted as held), and the limits known to
    have nobody queued (SQLite: nobody to hand slots to or wake).  The limits' rows
    stay locked until the transaction ends."""
    rooms: dict[str, int] = {}
    idle: set[str] = set()
    sqlite = None if conn.dialect.name == "postgresql" else conn.connection.driver_connection
    now = time.time() if now is None else now
    for found, slots in sorted(_by_limit(freed).items()):
        resource = f"{PREFIX}{found}"
        if sqlite is not None:
            rows = sqlite.execute(_SQLITE_SUBTRACT_RAW, (slots, found.bytes, resource, now))
            row = rows.fetchone()
            rows.fetchall()
            if row is not None and not row[2]:
                idle.add(resource)
        else:
            row = conn.execute(_SUBTRACT, {"id": found, "slots": slots}).first()
        if row is not None and row[1]:
            rooms[resource] = int(row[0])
    return rooms, idle


def release_sqlite(conn: Connection, lease_id: UUID) -> list[tuple[str, int]]:
    """SQLite: delete the rows of ``lease_id``; their (resource, slots)."""
    sqlite = conn.connection.driver_connection
    return sqlite.execute(_SQLITE_RELEASE_RAW, (lease_id.bytes,)).fetchall()  # type: ignore[union-attr]


def _bytes(value: UUID | None) -> bytes | None:
    return None if value is None else value.bytes
