"""Leases: anything held on behalf of a process (concurrency slots, locks, cache keys)
is held until a deadline its holder keeps pushing back, so nothing stays held by a
holder that died or forgot.

A lease holds ``slots`` units of one or more *resources* (strings such as
``limit:<id>``, ``lock:<key>``, ``cache:<key>``) until ``expires``; ``renew`` moves
``expires`` to now + the lease's ``duration``.  A lease past ``expires`` counts for
nothing even before ``expire`` deletes its rows, so a dead holder's slots come back
after one lease duration whether or not a service runs.  What a resource's capacity
is belongs to its owner (a concurrency limit's ``limit``, 1 for a lock): callers pass
it in.

Waiting is first come, first served: a waiter that was refused joins the queue in
``lease_waiters`` (by ``ticket``) and is admitted only when nobody queued before it
for the same resources is still waiting.  When slots free up (a release, an expiry,
a run that ended, a waiter leaving the queue) the waiters at the head are woken
through their wake address (``core/wake.py``) after the transaction commits, so
the next waiter learns of a free slot within milliseconds, not on a polling
interval.  Waiters refresh their place at least every ``WAITER_REFRESH`` seconds; one
silent for ``WAITER_TTL`` seconds is skipped, and a head waiter whose process is gone
is dropped by the first waiter that finds the capacity free but the queue blocked.

On SQLite the write transaction serializes everything; on PostgreSQL each resource
is locked for the transaction (``pg_advisory_xact_lock``, in sorted order) before
it is counted, except a concurrency limit's: its row, which every path locks
(``concurrency_limits.py``), orders its takers.  The one order of waits on
PostgreSQL: a lease's rows, then a limit's row, then waiter rows.  A release deletes
its lease rows, then counts them off the limit's row; a taker holding the limit's
row inserts new lease rows (nobody else's) and skips expired ones another
transaction holds (``clear_expired``); waiters' rows are deleted last.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from headwater.core import wake
from headwater.server.db.after_commit import DATABASE, after_commit
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import lease_waiters, leases
from headwater.server.store import slot_counts
from headwater.server.store.handoff import Handoff, granted_payload, hand_off

#: A waiter that has not refreshed its place for this long is no longer queued.
WAITER_TTL = 10.0
#: Waiters look again (refreshing their place) at least this often.
WAITER_REFRESH = 3.0
#: Queued waiters read per resource when waking the head of a queue.
_WAKE_LOOKAHEAD = 16

L = leases.c
W = lease_waiters.c
_NAMES: Any = bindparam("names", expanding=True)
_IDS: Any = bindparam("ids", expanding=True)
_NOW: Any = bindparam("now")

_HELD = (
    select(L.resource, func.sum(L.slots))
    .where(L.resource.in_(_NAMES), L.expires > _NOW)
    .group_by(L.resource)
)
# Held slots, the next expiry of a live lease (the retry time of a waiter refused for
# want of room) and the duration of the lease the asker's ticket holds, if any (a
# release handed it its slots: ``handoff.py``), per resource.
_HELD_UNTIL = (
    select(
        L.resource,
        func.sum(L.slots),
        func.min(L.expires),
        func.max(case((L.id == bindparam("ticket"), L.duration), else_=None)),
    )
    .where(L.resource.in_(_NAMES), L.expires > _NOW)
    .group_by(L.resource)
)
_QUEUE = (
    select(W.id, W.ticket, W.resource, W.slots, W.wake)
    .where(W.resource.in_(_NAMES), W.expires > _NOW)
    .order_by(W.id)
)
_QUEUE_HEADS: dict[int, Any] = {}
# Rows another transaction holds (a release of the same lease) are skipped: that one
# deletes them, and waiting for it here, under a limit's row lock, would reverse the
# lock order of a release (lease row, then the limit's row).
_CLEAR_EXPIRED = (
    delete(leases)
    .where(
        tuple_(L.id, L.resource).in_(
            select(L.id, L.resource)
            .where(L.resource.in_(_NAMES), L.expires <= _NOW)
            .with_for_update(skip_locked=True)
        )
    )
    .returning(L.resource, L.slots)
)
_INSERT = insert(leases)
_RENEW = (
    update(leases)
    .where(L.id.in_(_IDS), L.expires > _NOW, L.duration > 0)
    .values(expires=_NOW + L.duration)
    .returning(L.id)
)
_RELEASE = delete(leases).where(L.id == bindparam("lease_id")).returning(L.resource, L.slots)
_LEAVE = delete(lease_waiters).where(W.ticket == bindparam("ticket")).returning(W.resource)
_EXPIRED = delete(leases).where(L.expires <= _NOW).returning(L.resource, L.slots)
_EXPIRED_WAITERS = delete(lease_waiters).where(W.expires <= _NOW)
_NO_HANDOFF = {"duration": None, "holder": None, "flow_run_id": None, "task_run_id": None}


@dataclass
class Admission:
    """The answer to a request for slots.

    ``retry_at``: when the answer may change without anyone waking the waiter (the
    earliest expiry of a lease on a resource that was full), or None.  ``free``:
    capacity left per resource (capacity minus live leases); ``ahead``: slots wanted
    by waiters queued before this one, per resource."""

    admitted: bool
    retry_at: float | None = None
    free: dict[str, float] = field(default_factory=dict)
    ahead: dict[str, int] = field(default_factory=dict)
    #: The ticket holds its lease already (handed by a release): its duration.
    granted: float | None = None


def lock_resources(conn: Connection, names: Iterable[str]) -> None:
    """On PostgreSQL, lock ``names`` until the transaction ends (sorted: no deadlocks);
    SQLite's write transaction already excludes every other writer."""
    if conn.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))


def admit(
    conn: Connection,
    *,
    resources: Mapping[str, int],
    capacities: Mapping[str, float],
    ticket: UUID | None = None,
    wake_address: str | None = None,
    now: float | None = None,
    locked: bool = False,
    handoff: Handoff | None = None,
    counted: Mapping[str, int] | None = None,
) -> Admission:
    """May ``resources`` (slots per resource) be taken now, first come first served?

    Refused with a ``ticket``, the waiter keeps (or takes) its place in the queue;
    admitted, it leaves the queue.  Takes nothing by itself (``grant`` does).
    ``locked``: the caller holds a lock that orders every taker of ``resources``
    already (a concurrency limit's row), else they are locked here.  ``handoff``:
    the lease a release may hand this waiter (one resource, a wake address: see
    ``handoff.py``).  ``counted``: the slots the limits' rows count as held (live
    and expired lease rows): expired rows are deleted only when there are some."""
    now = time.time() if now is None else now
    names = sorted(resources)
    if not locked:
        lock_resources(conn, names)
    held: dict[str, int] = {}
    expiry: dict[str, float] = {}
    granted = None
    found = conn.execute(_HELD_UNTIL, {"names": names, "now": now, "ticket": ticket})
    for name, total, first, mine in found:
        held[name], expiry[name] = int(total), first
        granted = mine if mine is not None else granted
    if granted is not None:
        return Admission(True, granted=float(granted))
    queue = conn.execute(_QUEUE, {"names": names, "now": now}).all()
    free = {name: capacities[name] - (held.get(name) or 0) for name in names}
    fits = all(resources[name] <= free[name] for name in names)
    ahead, blockers, behind = _places(queue, ticket)
    if fits and blockers and _drop_gone(conn, blockers):
        queue = conn.execute(_QUEUE, {"names": names, "now": now}).all()
        ahead, blockers, behind = _places(queue, ticket)
    if fits and not blockers:
        if ticket is not None and any(row.ticket == ticket for row in queue):
            conn.execute(_LEAVE, {"ticket": ticket})
        # Capacity left after this grant goes to the next waiters at once.
        left = {name: int(free[name] - resources[name]) for name in names}
        _wake_next(conn, behind, left)
        return Admission(True, None, free, ahead)
    if ticket is not None:
        if not wake_address or len(resources) != 1:
            handoff = None
        _queue(conn, ticket, resources, wake_address, now, handoff)
    full = [name for name in names if resources[name] > free[name]]
    # About to wait anyway: clear rows of leases that expired meanwhile (the limits'
    # counts say whether there are any).
    stale = [name for name in full if counted is None or counted.get(name, 0) > held.get(name, 0)]
    if stale:
        clear_expired(conn, stale, now)
    retry_at = min((expiry[name] for name in full if name in expiry), default=None)
    return Admission(False, retry_at, free, ahead)


def clear_expired(conn: Connection, names: Sequence[str], now: float | None = None) -> None:
    """Delete the rows of leases on ``names`` that ran out (they hold nothing already),
    so the counts kept on limits' rows (``slot_counts``) hold only live leases."""
    now = time.time() if now is None else now
    slot_counts.uncount(conn, conn.execute(_CLEAR_EXPIRED, {"names": names, "now": now}).all())


def _places(
    queue: Sequence[Any], ticket: UUID | None
) -> tuple[dict[str, int], list[Any], list[Any]]:
    """Slots wanted ahead of ``ticket`` per resource, the rows ahead, the rows behind."""
    mine = {row.resource: row.id for row in queue if row.ticket == ticket}
    ahead: dict[str, int] = defaultdict(int)
    blockers, behind = [], []
    for row in queue:
        if row.ticket == ticket:
            continue
        position = mine.get(row.resource)
        if position is None or row.id < position:
            ahead[row.resource] += row.slots
            blockers.append(row)
        else:
            behind.append(row)
    return dict(ahead), blockers, behind


def _drop_gone(conn: Connection, blockers: list[Any]) -> bool:
    """The capacity is free but waiters ahead have not taken it: drop the head of each
    queue if its process is gone (a probe of a live one is an extra wake-up, so only
    the heads are probed: probing every waiter ahead woke them all on each look, a
    thundering herd under contention; a dead waiter further back is found when it
    reaches the head)."""
    dropped = False
    heads: dict[str, Any] = {}
    for row in blockers:
        heads.setdefault(row.resource, row)
    blockers = list(heads.values())
    for ticket in dict.fromkeys(row.ticket for row in blockers):
        address = next(row.wake for row in blockers if row.ticket == ticket)
        if address and wake.send(address, ticket.bytes) == "gone":
            conn.execute(_LEAVE, {"ticket": ticket})
            dropped = True
    return dropped


def _queue(
    conn: Connection,
    ticket: UUID,
    resources: Mapping[str, int],
    wake_address: str | None,
    now: float,
    handoff: Handoff | None = None,
) -> None:
    """Join the queue, or keep one's place in it (the row's id, hence its order, stays)."""
    lease = handoff.columns() if handoff else _NO_HANDOFF
    values = [
        {
            "ticket": ticket,
            "resource": name,
            "slots": slots,
            "wake": wake_address,
            "expires": now + WAITER_TTL,
            "created": now,
            **lease,
        }
        for name, slots in resources.items()
    ]
    conn.execute(_upsert_waiter(conn), values)


_UPSERT_WAITER: dict[str, Any] = {}


def _upsert_waiter(conn: Connection) -> Any:
    """The statement joining the queue or refreshing one's place (built once per
    database kind: built per call, its compilation cost more than its execution)."""
    found = _UPSERT_WAITER.get(conn.dialect.name)
    if found is None:
        stmt = insert_for(conn, lease_waiters)
        found = stmt.on_conflict_do_update(
            index_elements=["ticket", "resource"],
            set_={name: stmt.excluded[name] for name in ("expires", "wake", *_NO_HANDOFF)},
        )
        _UPSERT_WAITER[conn.dialect.name] = found
    return found


def grant(
    conn: Connection,
    *,
    lease_id: UUID,
    resources: Mapping[str, int],
    holder: str,
    duration: float,
    flow_run_id: UUID | None = None,
    task_run_id: UUID | None = None,
    now: float | None = None,
    expires: Mapping[str, float] | None = None,
) -> None:
    """Take ``resources`` under ``lease_id`` until now + ``duration`` (after ``admit``),
    or until ``expires[resource]`` where given (slots that decay, see rate limits).
    A concurrency limit's count of held slots is the caller's (``slot_counts``)."""
    now = time.time() if now is None else now
    conn.execute(
        _INSERT,
        [
            {
                "id": lease_id,
                "resource": name,
                "slots": slots,
                "holder": holder[:200],
                "duration": duration,
                "expires": expires[name] if expires else now + duration,
                "flow_run_id": flow_run_id,
                "task_run_id": task_run_id,
                "created": now,
            }
            for name, slots in resources.items()
        ],
    )


def acquire(
    conn: Connection,
    *,
    lease_id: UUID,
    resources: Mapping[str, int],
    capacities: Mapping[str, float],
    holder: str,
    duration: float,
    ticket: UUID | None = None,
    wake_address: str | None = None,
    flow_run_id: UUID | None = None,
    task_run_id: UUID | None = None,
    now: float | None = None,
) -> Admission:
    """``admit`` then, if admitted, ``grant``: the whole request or nothing."""
    now = time.time() if now is None else now
    admission = admit(
        conn,
        resources=resources,
        capacities=capacities,
        ticket=ticket,
        wake_address=wake_address,
        now=now,
    )
    if admission.admitted:
        grant(
            conn,
            lease_id=lease_id,
            resources=resources,
            holder=holder,
            duration=duration,
            flow_run_id=flow_run_id,
            task_run_id=task_run_id,
            now=now,
        )
    return admission


def renew(conn: Connection, *, lease_ids: Sequence[UUID], now: float | None = None) -> set[UUID]:
    """Push back the expiry of ``lease_ids`` by their duration; the ones still held
    (a lease that already expired is lost: someone else may hold its slots now)."""
    if not lease_ids:
        return set()
    now = time.time() if now is None else now
    return set(conn.execute(_RENEW, {"ids": list(lease_ids), "now": now}).scalars())


def release(conn: Connection, *, lease_id: UUID) -> bool:
    """Give back what ``lease_id`` holds; True if it held anything."""
    return bool(release_rows(conn, lease_id=lease_id))


def release_rows(
    conn: Connection, *, lease_id: UUID, place: slot_counts.Place | None = None
) -> Sequence[tuple[str, int]]:
    """``release``: the (resource, slots) of the rows given back.  On PostgreSQL the
    rows of the concurrency limits among those resources stay locked until the
    transaction ends (``slot_counts.uncount``), and ``place`` (the releasing
    transaction's own request) is tried in the hand-off's statement."""
    if conn.dialect.name == "sqlite":
        freed: Sequence[Any] = slot_counts.release_sqlite(conn, lease_id)
    else:
        freed = conn.execute(_RELEASE, {"lease_id": lease_id}).all()
    _wake_freed(conn, freed, place)
    return [(resource, slots) for resource, slots in freed]


def release_where(conn: Connection, *conditions: Any) -> int:
    """Give back every lease row matching ``conditions`` (a run that ended, a limit
    reset); how many rows."""
    freed = conn.execute(delete(leases).where(*conditions).returning(L.resource, L.slots)).all()
    _wake_freed(conn, freed)
    return len(freed)


def release_for_runs(
    conn: Connection,
    *,
    flow_run_ids: Sequence[UUID] = (),
    task_run_ids: Sequence[UUID] = (),
) -> int:
    """A run in a final state holds nothing: free what was held for these runs."""
    # One statement: a second delete after the first one's counts would wait on lease
    # rows while holding limits' rows (the reverse of a release's order).
    conditions = []
    if flow_run_ids:
        conditions.append(L.flow_run_id.in_(list(flow_run_ids)))
    if task_run_ids:
        conditions.append(L.task_run_id.in_(list(task_run_ids)))
    return release_where(conn, or_(*conditions)) if conditions else 0


def leave_queue(conn: Connection, *, ticket: UUID) -> None:
    """A waiter gives up (timed out, cancelled): whoever was behind it may go now,
    and slots a release handed it meanwhile (its lease has the ticket's id) go back."""
    resources = conn.execute(_LEAVE, {"ticket": ticket}).scalars().all()
    if resources:
        wake_waiters(conn, dict.fromkeys(resources, 1))
    release(conn, lease_id=ticket)


def expire(conn: Connection, *, now: float | None = None) -> int:
    """Delete expired leases (they already counted for nothing) and forgotten waiters;
    wake the waiters of what was freed.  How many lease rows were deleted."""
    now = time.time() if now is None else now
    freed = conn.execute(_EXPIRED, {"now": now}).all()
    _wake_freed(conn, freed)
    # Waiters' rows last: a taker holding a limit's row may wait on its own waiter row.
    conn.execute(_EXPIRED_WAITERS, {"now": now})
    return len(freed)


def _wake_freed(
    conn: Connection, freed: Sequence[Any], place: slot_counts.Place | None = None
) -> None:
    """Lease rows (resource, slots) were deleted: the limits they counted on hold
    less, their slots go to the head of their queues (``handoff.py``), and waiters
    that must ask themselves may go."""
    if not freed:
        return
    now = time.time()
    rooms, idle = slot_counts.uncount(conn, freed, now)
    for resource in idle:  # nobody queued: nothing to hand off, nobody to wake
        rooms.pop(resource, None)
    handed, granted, empty = hand_off(conn, rooms, now, place) if rooms else ({}, [], set())
    counts: dict[str, int] = defaultdict(int)
    for resource, slots in freed:
        if resource not in idle and resource not in empty:
            counts[resource] += slots
    for resource, slots in handed.items():
        counts[resource] -= slots
    if granted:
        after_commit(conn, _wake_granted, granted, conn.info.get(DATABASE))
    wake_waiters(conn, {name: count for name, count in counts.items() if count > 0}, now)


def wake_waiters(conn: Connection, counts: Mapping[str, int], now: float | None = None) -> None:
    """After commit, wake the first ``counts[resource]`` waiters queued for each
    resource (a capacity changed, slots were freed)."""
    if not counts:
        return
    now = time.time() if now is None else now
    size = _WAKE_LOOKAHEAD * len(counts)
    statement = _QUEUE_HEADS.get(size)
    if statement is None:
        statement = _QUEUE_HEADS[size] = _QUEUE.limit(size)
    queue = conn.execute(statement, {"names": sorted(counts), "now": now}).all()
    _wake_next(conn, queue, counts)


def _wake_next(conn: Connection, queue: Sequence[Any], counts: Mapping[str, int]) -> None:
    """Schedule waking, per resource, the first ``counts[resource]`` tickets of
    ``queue`` (rows in queue order), plus one more for each that cannot be woken."""
    lines: dict[str, list[tuple[str, UUID]]] = defaultdict(list)
    for row in queue:
        if counts.get(row.resource, 0) > 0 and row.wake:
            lines[row.resource].append((row.wake, row.ticket))
    plan = [(line, counts[resource]) for resource, line in lines.items()]
    if plan:
        after_commit(conn, _send_wakes, plan)


def _send_wakes(plan: list[tuple[list[tuple[str, UUID]], int]]) -> None:
    done: set[UUID] = set()
    for line, wanted in plan:
        woken = 0
        for address, ticket in line:
            if woken >= wanted:
                break
            if ticket in done:
                woken += 1
                continue
            done.add(ticket)
            if wake.send(address, ticket.bytes) == "sent":
                woken += 1


def _wake_granted(granted: list[tuple[str, UUID]], db: Any) -> None:
    """Tell waiters they hold their lease; the lease of one whose process is gone
    goes back at once (to the next waiter)."""
    for address, ticket in granted:
        if wake.send(address, granted_payload(ticket)) == "gone" and db is not None:
            db.write_retrying(lambda conn, lease=ticket: release(conn, lease_id=lease))


def read_leases(
    conn: Connection, *, resources: Sequence[str], now: float | None = None
) -> list[dict[str, Any]]:
    """The live leases on ``resources``, oldest first (one dict per lease and resource)."""
    if not resources:
        return []
    now = time.time() if now is None else now
    rows = conn.execute(
        select(leases)
        .where(L.resource.in_(list(resources)), L.expires > now)
        .order_by(L.created, L.id)
    )
    return [dict(row._mapping) for row in rows]


def held_slots(
    conn: Connection, *, resources: Sequence[str], now: float | None = None
) -> dict[str, int]:
    """Slots held by live leases, per resource (absent: none)."""
    if not resources:
        return {}
    now = time.time() if now is None else now
    return {
        name: int(total)
        for name, total in conn.execute(_HELD, {"names": list(resources), "now": now}).all()
    }


def queue_lengths(
    conn: Connection, *, resources: Sequence[str], now: float | None = None
) -> dict[str, int]:
    """Waiters queued per resource (absent: none)."""
    if not resources:
        return {}
    now = time.time() if now is None else now
    rows = conn.execute(
        select(W.resource, func.count())
        .where(W.resource.in_(list(resources)), W.expires > now)
        .group_by(W.resource)
    )
    return {name: int(count) for name, count in rows}
