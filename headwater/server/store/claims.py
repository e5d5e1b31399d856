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

from sqlalchemy import Connection, func, select, update

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
    """Claim up to ``limit`` due runs; their ids, in the order they should start."""
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
        query = (
            select(c.id, c.deployment_id, c.work_queue_id)
            .join(work_queues, work_queues.c.id == c.work_queue_id)
            .where(due, c.work_queue_id.in_([q.id for q in queue_rows]))
            .order_by(work_queues.c.priority, c.next_scheduled_start_time, c.id)
        )
        queue_limits = {str(q.id): q.concurrency_limit for q in queue_rows if q.concurrency_limit}
    elif deployment_ids:
        conn.execute(
            update(deployments).where(deployments.c.id.in_(deployment_ids)).values(last_polled=now)
        )
        query = (
            select(c.id, c.deployment_id, c.work_queue_id)
            .where(due, c.deployment_id.in_(deployment_ids), c.work_pool_id.is_(None))
            .order_by(c.next_scheduled_start_time, c.id)
        )
        queue_limits = {}
    else:
        return []
    # Extra candidates: some may be held back by a concurrency limit.
    query = query.limit(limit * 2 + 8)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=flow_runs)
    candidates = conn.execute(query).all()
    if not candidates:
        return []
    deployment_limits = _deployment_limits(conn, {r.deployment_id for r in candidates})
    _lock(conn, deployments, {UUID(k) for k in deployment_limits})
    _lock(conn, work_queues, {UUID(k) for k in queue_limits})
    if pool_limit:
        _lock(conn, work_pools, {work_pool_id})
    active_deployments = _active_counts(conn, c.deployment_id, set(deployment_limits))
    active_queues = _active_counts(conn, c.work_queue_id, set(queue_limits))
    active_pool = 0
    if pool_limit:
        active_pool = conn.execute(
            select(func.count()).where(c.work_pool_id == work_pool_id, c.state_type.in_(ACTIVE))
        ).scalar_one()
    claimed: list[UUID] = []
    for run in candidates:
        if len(claimed) >= limit or (pool_limit and active_pool >= pool_limit):
            break
        queue_key = str(run.work_queue_id)
        if queue_key in queue_limits and active_queues[queue_key] >= queue_limits[queue_key]:
            continue
        deployment_key = str(run.deployment_id)
        if deployment_key in deployment_limits:
            limit_of, strategy = deployment_limits[deployment_key]
            if active_deployments[deployment_key] >= limit_of:
                if strategy == "cancel_new":
                    set_flow_run_state(
                        conn,
                        flow_run_id=run.id,
                        state=Cancelled(
                            message=f"the deployment's concurrency limit ({limit_of}) was "
                            "reached (collision strategy cancel_new)"
                        ),
                        force=True,
                    )
                continue
        result = set_flow_run_state(
            conn, flow_run_id=run.id, state=Pending(message=f"claimed by {worker_name}")
        )
        if not result.accepted:
            continue
        conn.execute(
            update(flow_runs)
            .where(c.id == run.id)
            .values(worker_name=worker_name, heartbeat=now, infrastructure_pid=None)
        )
        claimed.append(run.id)
        active_pool += 1
        active_queues[queue_key] += 1
        active_deployments[deployment_key] += 1
    return claimed


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
    claimed: list[UUID] = []
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
            elif pool_id is None and request.deployment_ids:
                conn.execute(
                    update(deployments)
                    .where(deployments.c.id.in_(request.deployment_ids))
                    .values(last_polled=now)
                )
    runs = []
    if claimed:
        with db.begin_read() as conn:
            runs = read_flow_runs_by_ids(conn, flow_run_ids=claimed)
    return ClaimResult(flow_runs=runs, cancelling=cancelling)
