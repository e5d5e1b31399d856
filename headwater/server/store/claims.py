"""Claiming due runs for a worker (a pool's queues) or a serve process (deployments).

A claim moves a due Scheduled run to Pending and records who owns it, in one write
transaction: on PostgreSQL the candidate rows are taken ``FOR UPDATE SKIP LOCKED``
(two workers never wait on, or get, the same run); on SQLite the transaction is
``BEGIN IMMEDIATE``, so claims are serialized.  Concurrency limits are checked in
the same transaction (the limited deployment, queue or pool row is locked first on
PostgreSQL so two claimers cannot both take the last slot).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, or_, select, update

from headwater.server.db.tables import deployments, flow_runs, work_pools, work_queues
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.states import Cancelled, Pending

ACTIVE = ("PENDING", "RUNNING", "CANCELLING")


def _active_counts(conn: Connection, column: Any, ids: set[Any]) -> Counter[Any]:
    if not ids:
        return Counter()
    rows = conn.execute(
        select(column, func.count())
        .where(column.in_(ids), flow_runs.c.state_type.in_(ACTIVE))
        .group_by(column)
    )
    return Counter({str(key): count for key, count in rows})


def _lock(conn: Connection, table: Any, ids: set[Any]) -> None:
    """Row locks (in id order, so claimers never deadlock) on PostgreSQL."""
    if ids and conn.dialect.name == "postgresql":
        conn.execute(
            select(table.c.id).where(table.c.id.in_(ids)).order_by(table.c.id).with_for_update()
        ).all()


def claim_flow_runs(
    conn: Connection,
    *,
    worker_name: str,
    limit: int,
    work_pool_id: UUID | None = None,
    work_queue_names: list[str] | None = None,
    deployment_ids: list[UUID] | None = None,
    now: float | None = None,
) -> list[UUID]:
    """Claim up to ``limit`` due runs; their ids, in the order they should start.

    Runs of a queue or deployment already at its concurrency limit are left out in
    SQL, before the LIMIT: a saturated high-priority queue with a backlog never hides
    the runs of the queues after it.  A queue that fills up during the claim is left
    out of the next round of candidates the same way."""
    now = now if now is not None else time.time()
    if limit <= 0:
        return []
    c = flow_runs.c
    due = (c.state_type == "SCHEDULED") & (c.next_scheduled_start_time <= now)
    pool_limit = None
    if work_pool_id is not None:
        pool = conn.execute(select(work_pools).where(work_pools.c.id == work_pool_id)).first()
        if pool is None or pool.paused:
            return []
        pool_limit = pool.concurrency_limit
        queues = select(work_queues).where(
            work_queues.c.work_pool_id == work_pool_id, work_queues.c.paused.is_(False)
        )
        if work_queue_names:
            queues = queues.where(work_queues.c.name.in_(work_queue_names))
        queue_rows = conn.execute(queues).all()
        conn.execute(
            update(work_queues)
            .where(work_queues.c.id.in_([q.id for q in queue_rows]))
            .values(last_polled=now)
        )
        if not queue_rows:
            return []
        scope: Any = c.work_queue_id.in_([q.id for q in queue_rows])
        query = (
            select(c.id, c.deployment_id, c.work_queue_id)
            .join(work_queues, work_queues.c.id == c.work_queue_id)
            .where(due, scope)
            .order_by(work_queues.c.priority, c.next_scheduled_start_time, c.id)
        )
        queue_limits = {str(q.id): q.concurrency_limit for q in queue_rows if q.concurrency_limit}
    elif deployment_ids:
        conn.execute(
            update(deployments).where(deployments.c.id.in_(deployment_ids)).values(last_polled=now)
        )
        scope = c.deployment_id.in_(deployment_ids) & c.work_pool_id.is_(None)
        query = (
            select(c.id, c.deployment_id, c.work_queue_id)
            .where(due, scope)
            .order_by(c.next_scheduled_start_time, c.id)
        )
        queue_limits = {}
    else:
        return []
    # Limits are read (and their rows locked on PostgreSQL, in one order: deployments,
    # queues, pool) once, before any candidate is chosen.
    limited = (
        select(c.deployment_id)
        .distinct()
        .join(deployments, deployments.c.id == c.deployment_id)
        .where(due, scope, deployments.c.concurrency_limit.is_not(None))
    )
    claimer = _Claimer(conn, worker_name=worker_name, now=now, limit=limit)
    claimer.deployment_limits = _deployment_limits(conn, set(conn.execute(limited).scalars()))
    _lock(conn, deployments, {UUID(k) for k in claimer.deployment_limits})
    _lock(conn, work_queues, {UUID(k) for k in queue_limits})
    if pool_limit:
        _lock(conn, work_pools, {work_pool_id})
        claimer.pool_limit = pool_limit
        claimer.active_pool = conn.execute(
            select(func.count()).where(c.work_pool_id == work_pool_id, c.state_type.in_(ACTIVE))
        ).scalar_one()
    claimer.active_deployments = _active_counts(
        conn, c.deployment_id, set(claimer.deployment_limits)
    )
    claimer.queue_limits = queue_limits
    claimer.active_queues = _active_counts(conn, c.work_queue_id, set(queue_limits))
    query = query.where(_deployment_has_room())
    seen: list[Any] = []
    while not claimer.done():
        full = claimer.full_queues()
        round_query = query
        if full:
            round_query = round_query.where(c.work_queue_id.not_in(full))
        if seen:
            round_query = round_query.where(c.id.not_in(seen))
        # Extra candidates: some may still be held back (a limit reached in this claim).
        wanted = (limit - len(claimer.claimed)) * 2 + 8
        round_query = round_query.limit(wanted)
        if conn.dialect.name == "postgresql":
            round_query = round_query.with_for_update(skip_locked=True, of=flow_runs)
        candidates = list(conn.execute(round_query).all())
        seen.extend(run.id for run in candidates)
        held_back = claimer.take(candidates)
        if not (held_back or len(candidates) == wanted):
            break
    return claimer.claimed


def _deployment_has_room() -> Any:
    """The run has no deployment, or its deployment is below its concurrency limit
    (``cancel_new`` deployments stay in: their surplus runs are cancelled on claim)."""
    other = flow_runs.alias("active_runs")
    active = (
        select(func.count())
        .where(other.c.deployment_id == deployments.c.id, other.c.state_type.in_(ACTIVE))
        .scalar_subquery()
    )
    full = select(deployments.c.id).where(
        deployments.c.concurrency_limit.is_not(None),
        deployments.c.collision_strategy != "cancel_new",
        deployments.c.concurrency_limit <= active,
    )
    return or_(flow_runs.c.deployment_id.is_(None), flow_runs.c.deployment_id.not_in(full))


class _Claimer:
    """The claims of one transaction and the active counts they move."""

    def __init__(self, conn: Connection, *, worker_name: str, now: float, limit: int) -> None:
        self.conn = conn
        self.worker_name = worker_name
        self.now = now
        self.limit = limit
        self.pool_limit: int | None = None
        self.active_pool = 0
        self.queue_limits: dict[str, int] = {}
        self.active_queues: Counter[Any] = Counter()
        self.deployment_limits: dict[str, tuple[int, str]] = {}
        self.active_deployments: Counter[Any] = Counter()
        self.claimed: list[UUID] = []

    def done(self) -> bool:
        pool_full = self.pool_limit is not None and self.active_pool >= self.pool_limit
        return len(self.claimed) >= self.limit or pool_full

    def full_queues(self) -> list[UUID]:
        return [UUID(k) for k, most in self.queue_limits.items() if self.active_queues[k] >= most]

    def take(self, candidates: list[Any]) -> bool:
        """Claim what the limits allow; whether a limit held a candidate back."""
        held_back = False
        for run in candidates:
            if self.done():
                break
            queue_key = str(run.work_queue_id)
            most = self.queue_limits.get(queue_key)
            if most is not None and self.active_queues[queue_key] >= most:
                held_back = True
                continue
            deployment_key = str(run.deployment_id)
            if deployment_key in self.deployment_limits:
                limit_of, strategy = self.deployment_limits[deployment_key]
                if self.active_deployments[deployment_key] >= limit_of:
                    if strategy == "cancel_new":
                        set_flow_run_state(
                            self.conn,
                            flow_run_id=run.id,
                            state=Cancelled(
                                message=f"the deployment's concurrency limit ({limit_of}) was "
                                "reached (collision strategy cancel_new)"
                            ),
                            force=True,
                        )
                    held_back = True
                    continue
            result = set_flow_run_state(
                self.conn,
                flow_run_id=run.id,
                state=Pending(message=f"claimed by {self.worker_name}"),
            )
            if not result.accepted:
                continue
            self.conn.execute(
                update(flow_runs)
                .where(flow_runs.c.id == run.id)
                .values(worker_name=self.worker_name, heartbeat=self.now, infrastructure_pid=None)
            )
            self.claimed.append(run.id)
            self.active_pool += 1
            self.active_queues[queue_key] += 1
            self.active_deployments[deployment_key] += 1
        return held_back


def _sendable(conn: Connection, runs: list[Any]) -> list[Any]:
    """The runs that serialise to JSON; the others end Crashed, saying why."""
    from headwater.states import Crashed

    out = []
    for run in runs:
        try:
            run.model_dump_json()
        except (ValueError, UnicodeError) as exc:
            set_flow_run_state(
                conn,
                flow_run_id=run.id,
                state=Crashed(message=f"the run's stored fields cannot be sent: {exc}"),
                force=True,
            )
            continue
        out.append(run)
    return out


def _deployment_limits(conn: Connection, ids: set[Any]) -> dict[str, tuple[int, str]]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = conn.execute(
        select(
            deployments.c.id, deployments.c.concurrency_limit, deployments.c.collision_strategy
        ).where(deployments.c.id.in_(ids), deployments.c.concurrency_limit.is_not(None))
    )
    return {str(r.id): (r.concurrency_limit, r.collision_strategy) for r in rows}


def cancelling_among(conn: Connection, *, flow_run_ids: list[UUID]) -> list[UUID]:
    """Those of ``flow_run_ids`` that were asked to cancel (state Cancelling)."""
    if not flow_run_ids:
        return []
    rows = conn.execute(
        select(flow_runs.c.id).where(
            flow_runs.c.id.in_(flow_run_ids), flow_runs.c.state_type == "CANCELLING"
        )
    )
    return [UUID(str(r)) for r in rows.scalars()]


def has_due_runs(
    conn: Connection,
    *,
    work_pool_id: UUID | None = None,
    deployment_ids: list[UUID] | None = None,
    now: float | None = None,
) -> bool:
    """A cheap read: is anything due for this pool or these deployments?"""
    now = now if now is not None else time.time()
    c = flow_runs.c
    query = select(c.id).where(c.state_type == "SCHEDULED", c.next_scheduled_start_time <= now)
    if work_pool_id is not None:
        query = query.where(c.work_pool_id == work_pool_id)
    elif deployment_ids:
        query = query.where(c.deployment_id.in_(deployment_ids))
    else:
        return False
    return conn.execute(query.limit(1)).first() is not None


def poll_once(
    db: Any, *, request: Any, pool_name: str | None = None, heartbeat: bool = True
) -> Any:
    """One look for work for a worker (``pool_name``) or a serve process
    (``request.deployment_ids``): heartbeat, claim what is due, report cancellations.

    A cheap read first: when nothing is due, no write transaction is opened (on
    SQLite the write lock is shared by the whole store)."""
    from headwater.schemas.work_pools import ClaimResult
    from headwater.server.store import work_pools
    from headwater.server.store.flow_runs import read_flow_runs_by_ids

    now = time.time()
    pool_id = None
    if pool_name is not None:
        with db.begin_read() as conn:
            pool_id = work_pools.pool_id_by_name(conn, pool_name)
    with db.begin_read() as conn:
        due = has_due_runs(
            conn, work_pool_id=pool_id, deployment_ids=request.deployment_ids, now=now
        )
        cancelling = cancelling_among(conn, flow_run_ids=list(request.watched_ids))
    runs: list[Any] = []
    if due or heartbeat:
        with db.begin_write() as conn:
            if heartbeat and request.watched_ids:
                # The claimer vouches for the runs it started whose process has not
                # begun heartbeating yet (a slow start is not a zombie).
                conn.execute(
                    update(flow_runs)
                    .where(
                        flow_runs.c.id.in_(list(request.watched_ids)),
                        flow_runs.c.state_type == "PENDING",
                    )
                    .values(heartbeat=now)
                )
            if heartbeat and pool_id is not None:
                work_pools.worker_heartbeat(
                    conn,
                    pool_id=pool_id,
                    name=request.worker_name,
                    hostname=request.hostname,
                    pid=request.pid,
                    heartbeat_seconds=request.heartbeat_seconds,
                    now=now,
                )
            if due:
                claimed = claim_flow_runs(
                    conn,
                    worker_name=request.worker_name,
                    limit=request.limit,
                    work_pool_id=pool_id,
                    work_queue_names=request.work_queue_names,
                    deployment_ids=None if pool_id is not None else request.deployment_ids,
                    now=now,
                )
                # Serialised before the claim commits: a run that cannot be sent (a value
                # stored before the edge refused it) fails now instead of being claimed
                # by a response that never arrives.
                runs = _sendable(conn, read_flow_runs_by_ids(conn, flow_run_ids=claimed))
            elif pool_id is None and request.deployment_ids:
                conn.execute(
                    update(deployments)
                    .where(deployments.c.id.in_(request.deployment_ids))
                    .values(last_polled=now)
                )
    return ClaimResult(flow_runs=runs, cancelling=cancelling)
