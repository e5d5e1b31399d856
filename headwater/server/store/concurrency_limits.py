"""Concurrency limits: named capacities whose slots are leases on ``limit:<id>``.

A request takes ``slots`` of every active limit it names, all or none, first come
first served (``server/store/leases.py``).  A limit of 0 refuses everything; an
inactive limit refuses nothing; a name without a limit refuses nothing unless the
request is ``strict``.  Tag limits on task runs are the limits named ``tag:<tag>``.

Rate limits: on a limit with ``slot_decay_per_second`` ``rate_limit`` takes slots
that are never given back but decay: each such lease expires ``slots / decay``
seconds after the last decaying lease on the limit (or after now), so the slots held
drain at the decay rate, and a waiter's timer is the next expiry.  Decaying leases
have ``duration`` 0 (nothing renews them).
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from headwater.exceptions import (
    ConcurrencyLimitNotFound,
    ConcurrencySlotAcquisitionError,
    ObjectAlreadyExists,
)
from headwater.schemas.concurrency import (
    ConcurrencyLimit,
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    SlotGrant,
    SlotHolder,
    SlotRequest,
)
from headwater.server.db.tables import concurrency_limits, leases
from headwater.server.store import handoff, slot_counts
from headwater.server.store import leases as lease_store
from headwater.utilities.ids import new_id

C = concurrency_limits.c
L = leases.c
_LIMITS = select(C.id, C.name, C.limit, C.active, C.slot_decay_per_second, C.held).where(
    C.name.in_(bindparam("names", expanding=True))
)
# The full path's first statement: the limits' rows locked, in id order (PostgreSQL;
# SQLite's write transaction excludes every other writer already).
_LOCK_LIMITS = _LIMITS.order_by(C.id).with_for_update()
_LAST_DECAY = select(func.max(L.expires)).where(
    L.resource == bindparam("resource"), L.duration == 0, L.expires > bindparam("now")
)


def resource(limit_id: UUID) -> str:
    return f"limit:{limit_id}"


def _not_found(name: str) -> ConcurrencyLimitNotFound:
    return ConcurrencyLimitNotFound(f"no concurrency limit named {name!r}")


# -- the limits ------------------------------------------------------------------------
def create_limit(conn: Connection, *, limit: ConcurrencyLimitCreate) -> ConcurrencyLimit:
    if conn.execute(select(C.id).where(C.name == limit.name)).first() is not None:
        raise ObjectAlreadyExists(f"a concurrency limit named {limit.name!r} exists already")
    now = time.time()
    conn.execute(
        insert(concurrency_limits).values(
            id=new_id(),
            name=limit.name,
            limit=limit.limit,
            active=limit.active,
            slot_decay_per_second=limit.slot_decay_per_second,
            created=now,
            updated=now,
        )
    )
    return read_limit(conn, name=limit.name)


def update_limit(
    conn: Connection, *, name: str, changes: ConcurrencyLimitUpdate
) -> ConcurrencyLimit:
    values = changes.model_dump(exclude_none=True)
    row = conn.execute(select(concurrency_limits).where(C.name == name)).first()
    if row is None:
        raise _not_found(name)
    if values:
        values["updated"] = time.time()
        conn.execute(update(concurrency_limits).where(C.id == row.id).values(**values))
        # More room, or no limit any more: whoever waits looks again.
        if values.get("limit", 0) > row.limit or values.get("active") is False:
            waiting = lease_store.queue_lengths(conn, resources=[resource(row.id)])
            lease_store.wake_waiters(conn, {resource(row.id): max(waiting.values(), default=0)})
    return read_limit(conn, name=name)


def delete_limit(conn: Connection, *, name: str) -> bool:
    """Delete ``name`` and give back its slots (its waiters go on unlimited)."""
    row_id = conn.execute(select(C.id).where(C.name == name)).scalar()
    if row_id is None:
        return False
    _free_all(conn, row_id)
    conn.execute(delete(concurrency_limits).where(C.id == row_id))
    return True


def reset_limit(conn: Connection, *, name: str) -> int:
    """Give back every slot of ``name``; how many leases held some."""
    row_id = conn.execute(select(C.id).where(C.name == name)).scalar()
    if row_id is None:
        raise _not_found(name)
    return _free_all(conn, row_id)


def _free_all(conn: Connection, limit_id: UUID) -> int:
    res = resource(limit_id)
    freed = lease_store.release_where(conn, L.resource == res)
    waiting = lease_store.queue_lengths(conn, resources=[res]).get(res, 0)
    if waiting:
        lease_store.wake_waiters(conn, {res: waiting})
    return freed


def read_limit(conn: Connection, *, name: str) -> ConcurrencyLimit:
    row = conn.execute(select(concurrency_limits).where(C.name == name)).first()
    if row is None:
        raise _not_found(name)
    return _with_slots(conn, [row])[0]


def read_limits(
    conn: Connection,
    *,
    tags: bool | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[ConcurrencyLimit]:
    """Limits by name; ``tags`` True: only tag limits, False: only the others."""
    query = select(concurrency_limits).order_by(C.name).limit(limit).offset(offset)
    if tags is not None:
        is_tag = C.name.startswith("tag:", autoescape=True)
        query = query.where(is_tag if tags else ~is_tag)
    return _with_slots(conn, list(conn.execute(query).all()))


def _with_slots(conn: Connection, rows: list[Any]) -> list[ConcurrencyLimit]:
    now = time.time()
    names = [resource(row.id) for row in rows]
    held = lease_store.held_slots(conn, resources=names, now=now)
    queued = lease_store.queue_lengths(conn, resources=names, now=now)
    holders: dict[str, list[SlotHolder]] = {name: [] for name in names}
    for lease in lease_store.read_leases(conn, resources=names, now=now):
        holders[lease["resource"]].append(
            SlotHolder(
                lease_id=lease["id"],
                slots=lease["slots"],
                holder=lease["holder"],
                expires=lease["expires"],
                decaying=lease["duration"] == 0,
                flow_run_id=lease["flow_run_id"],
                task_run_id=lease["task_run_id"],
            )
        )
    return [
        ConcurrencyLimit(
            id=row.id,
            name=row.name,
            limit=row.limit,
            active=row.active,
            slot_decay_per_second=row.slot_decay_per_second,
            active_slots=held.get(res, 0),
            queue_length=queued.get(res, 0),
            holders=holders[res],
            created=row.created,
            updated=row.updated,
        )
        for row, res in zip(rows, names, strict=True)
    ]


# -- taking slots ----------------------------------------------------------------------
def unlimited(conn: Connection, *, request: SlotRequest) -> SlotGrant | None:
    """The answer when no active limit applies to ``request`` (a read), else None."""
    names = list(dict.fromkeys(request.names))
    rows = applicable_limits(conn, names=names, strict=request.strict, active_only=False)
    if any(row.active for row in rows):
        return None
    present = {row.name for row in rows}
    return SlotGrant(missing=[name for name in names if name not in present])


def applicable_limits(
    conn: Connection,
    *,
    names: list[str],
    strict: bool,
    active_only: bool = True,
    lock: bool = False,
) -> list[Any]:
    """The active limits among ``names``; ``lock``: their rows locked until the
    transaction ends (PostgreSQL, in id order)."""
    rows = conn.execute(_LOCK_LIMITS if lock else _LIMITS, {"names": names}).all()
    if strict:
        found = {row.name for row in rows}
        for name in names:
            if name not in found:
                raise _not_found(name)
    return [row for row in rows if row.active or not active_only]


def acquire_slots(
    conn: Connection,
    *,
    request: SlotRequest,
    default_duration: float,
    wake_address: str | None = None,
    now: float | None = None,
) -> tuple[SlotGrant, float | None]:
    """Take the slots now, or queue for them (with a ticket); the grant and, when
    refused, when to look again at the latest (a lease on a full limit expires).
    The leases in ``request.release`` are given back first (whoever waits for them
    is handed or woken as by a release on its own).  ``default_duration``: the
    lease's duration when the request names none."""
    now = time.time() if now is None else now
    # The asker's earlier slots first.  The limits they were on: PostgreSQL locked
    # their rows (to count them off), so a waiter on one of them that finds it full
    # keeps its place in one more statement, as on SQLite (``queue_full``); with one
    # release (a process asking again in a loop) in the hand-off's own statement
    # (``place``), the row so locked for one round trip fewer.
    postgres = conn.dialect.name == "postgresql"
    releases = list(dict.fromkeys(request.release))
    place = None
    if postgres and len(releases) == 1:
        place = slot_counts.place(
            request,
            default_duration=default_duration,
            wake_address=wake_address,
            waiter_ttl=lease_store.WAITER_TTL,
            now=now,
        )
    locked: set[str] = set()
    for lease_id in releases:
        freed = lease_store.release_rows(conn, lease_id=lease_id, place=place)
        locked.update(name for name, _ in freed)
    if place is not None and place.queued:
        return SlotGrant(limits=[place.name]), place.retry_at
    if postgres and locked and (place is None or not place.tried):
        refused = _queue_full(conn, request, default_duration, wake_address, now, locked)
        if refused is not None:
            return refused
    fast = slot_counts.take(conn, request=request, default_duration=default_duration, now=now)
    if fast is not None:  # one limit, a free slot, nobody queued: one statement
        return fast, None
    if not postgres:  # SQLite: a waiter on a full limit keeps its place
        refused = _queue_full(conn, request, default_duration, wake_address, now)
        if refused is not None:
            return refused
    names = list(dict.fromkeys(request.names))
    # One lock order on every path: a limit's row first (the fast path's UPDATE, a
    # release's count, this), then what the limit's queue and leases need.  Taking
    # another lock first and the row later deadlocked against a fast path that had
    # waited on the row, found the limit full and come here.
    every = applicable_limits(
        conn, names=names, strict=request.strict, active_only=False, lock=True
    )
    present = {row.name for row in every}
    missing = [name for name in names if name not in present]
    rows = [row for row in every if row.active]
    limits = sorted(row.name for row in rows)
    duration = request.lease_duration or default_duration
    if not rows:
        if request.ticket is not None:  # the limit went while this request waited
            lease_store.leave_queue(conn, ticket=request.ticket)
        return SlotGrant(missing=missing), None
    for row in rows:
        _check(row, request)
    if postgres and len(rows) == 1 and not missing:
        # The row is locked now: a waiter on a full limit keeps its place in one more
        # statement, as on SQLite above.
        locked = {resource(rows[0].id)}
        refused = _queue_full(conn, request, default_duration, wake_address, now, locked)
        if refused is not None:
            return refused
    wanted = {resource(row.id): request.slots for row in rows}
    admission = lease_store.admit(
        conn,
        resources=wanted,
        capacities={resource(row.id): row.limit for row in rows},
        ticket=request.ticket,
        wake_address=wake_address,
        now=now,
        locked=True,
        handoff=_handoff(request, duration),
        counted={resource(row.id): row.held for row in rows},
    )
    if admission.granted is not None and request.ticket is not None:
        # A release handed this waiter its slots (``handoff.py``); looked up under
        # the limits' row locks, so no release is handing them meanwhile.
        duration = admission.granted or duration
        return SlotGrant(
            lease_id=request.ticket, lease_duration=duration, limits=limits, missing=missing
        ), None
    if not admission.admitted:
        return SlotGrant(limits=limits, missing=missing), admission.retry_at
    if not slot_counts.count_within(conn, wanted):
        # Rows of leases that ran out still count until deleted: delete them, count again.
        lease_store.clear_expired(conn, list(wanted), now)
        if not slot_counts.count_within(conn, wanted):
            # Not expected (the rows are locked): refuse, to be asked again at once.
            return SlotGrant(limits=limits, missing=missing), now
    # With a ticket the lease's id is the ticket: asked again, it is found above.
    lease_id = request.ticket or new_id()
    decaying = request.mode == "rate_limit"
    lease_store.grant(
        conn,
        lease_id=lease_id,
        resources=wanted,
        holder=request.holder or "unknown",
        duration=0.0 if decaying else duration,
        flow_run_id=request.flow_run_id,
        task_run_id=request.task_run_id,
        now=now,
        expires=_decay_ends(conn, rows, request.slots, now) if decaying else None,
    )
    grant = SlotGrant(lease_id=lease_id, lease_duration=duration, limits=limits, missing=missing)
    return grant, None


def _queue_full(
    conn: Connection,
    request: SlotRequest,
    default_duration: float,
    wake_address: str | None,
    now: float,
    locked: set[str] | None = None,
) -> tuple[SlotGrant, float | None] | None:
    return slot_counts.queue_full(
        conn,
        request=request,
        default_duration=default_duration,
        wake_address=wake_address,
        waiter_ttl=lease_store.WAITER_TTL,
        now=now,
        locked=locked,
    )


def _handoff(request: SlotRequest, duration: float) -> handoff.Handoff | None:
    """What a release hands this request if it waits (concurrency slots only)."""
    if request.mode != "concurrency":
        return None
    return handoff.Handoff(
        duration=duration,
        holder=request.holder or "unknown",
        flow_run_id=request.flow_run_id,
        task_run_id=request.task_run_id,
    )


def _check(row: Any, request: SlotRequest) -> None:
    if request.mode == "rate_limit" and row.slot_decay_per_second <= 0:
        raise ConcurrencySlotAcquisitionError(
            f"rate_limit needs a limit with slot decay; {row.name!r} has none "
            "(set --slot-decay-per-second)"
        )
    if 0 < row.limit < request.slots:
        raise ConcurrencySlotAcquisitionError(
            f"{request.slots} slots asked of {row.name!r}, which has {row.limit}"
        )


def _decay_ends(conn: Connection, rows: list[Any], slots: int, now: float) -> dict[str, float]:
    """When the slots taken now have decayed, per limit: after the ones taken before."""
    ends = {}
    for row in rows:
        res = resource(row.id)
        last = conn.execute(_LAST_DECAY, {"resource": res, "now": now}).scalar()
        ends[res] = max(now, last or now) + slots / row.slot_decay_per_second
    return ends
