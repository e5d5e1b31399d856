"""Counts the work-pool pages show: queues, workers online, runs waiting.

Aggregates in SQL (one query per figure for all pools, not one per pool), so the
pools page costs the same with 3 pools or 300.  "Waiting" means Scheduled and due
(``next_scheduled_start_time <= now``) in one of the pool's queues: runs a worker
would claim now if one were polling, the pool were not paused, and no concurrency
limit held them back.  The count walks ``ix_flow_runs__work_queue_due``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, case, func, select

from headwater.server.db.tables import flow_runs, work_queues, workers
from headwater.server.store.work_pools import OFFLINE_AFTER_HEARTBEATS


@dataclass(frozen=True)
class PoolCounts:
    queues: int = 0
    workers: int = 0
    workers_online: int = 0
    runs_waiting: int = 0


def _online(now: float) -> Any:
    # The same rule as work_pools._online_cutoff (and read_workers' ``online``).
    return workers.c.last_heartbeat >= now - OFFLINE_AFTER_HEARTBEATS * workers.c.heartbeat_seconds


def _waiting_by_queue(conn: Connection, now: float, pool_id: UUID | None = None) -> Any:
    c = flow_runs.c
    query = (
        select(work_queues.c.id, work_queues.c.work_pool_id, func.count(c.id))
        .select_from(work_queues)
        .join(
            flow_runs,
            and_(
                c.work_queue_id == work_queues.c.id,
                c.state_type == "SCHEDULED",
                c.next_scheduled_start_time <= now,
            ),
        )
        .group_by(work_queues.c.id, work_queues.c.work_pool_id)
    )
    if pool_id is not None:
        query = query.where(work_queues.c.work_pool_id == pool_id)
    return conn.execute(query).all()


def pool_counts(conn: Connection, *, now: float | None = None) -> dict[str, PoolCounts]:
    """Per pool id (as a string): its queues, workers (online and all), runs waiting."""
    now = now if now is not None else time.time()
    queues: dict[str, int] = {
        str(pool_id): count
        for pool_id, count in conn.execute(
            select(work_queues.c.work_pool_id, func.count()).group_by(work_queues.c.work_pool_id)
        )
    }
    online = func.sum(case((_online(now), 1), else_=0))
    worker_rows = conn.execute(
        select(workers.c.work_pool_id, func.count(), online).group_by(workers.c.work_pool_id)
    ).all()
    totals = {str(pool_id): (count, int(up or 0)) for pool_id, count, up in worker_rows}
    waiting: dict[str, int] = {}
    for _queue_id, pool_id, count in _waiting_by_queue(conn, now):
        waiting[str(pool_id)] = waiting.get(str(pool_id), 0) + int(count)
    out: dict[str, PoolCounts] = {}
    for key in set(queues) | set(totals) | set(waiting):
        total, up = totals.get(key, (0, 0))
        out[key] = PoolCounts(
            queues=queues.get(key, 0),
            workers=total,
            workers_online=up,
            runs_waiting=waiting.get(key, 0),
        )
    return out


def waiting_by_queue(
    conn: Connection, *, pool_id: UUID, now: float | None = None
) -> dict[str, int]:
    """Runs waiting in each queue of one pool, by queue id (as a string)."""
    now = now if now is not None else time.time()
    return {
        str(queue_id): int(count) for queue_id, _, count in _waiting_by_queue(conn, now, pool_id)
    }
