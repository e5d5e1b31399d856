"""Aggregates over flow runs for the dashboard: counts by state, a histogram over
time, recent failures, late runs, and the health of each work pool's workers.

Everything is computed in SQL (``GROUP BY``) and bounded by a time window or a
``LIMIT``, so the dashboard costs the same at 1,000 or 1,000,000 runs in the
store; the indexes are in migration 0005.  A run belongs to a window by its
expected start time (when it was due), which every run has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Integer, and_, case, cast, func, or_, select

from headwater.server.db.tables import (
    deployments,
    flow_runs,
    flows,
    task_runs,
    work_pools,
    workers,
)
from headwater.server.store.work_pools import OFFLINE_AFTER_HEARTBEATS

FAILURE_TYPES = ("FAILED", "CRASHED")


@dataclass(frozen=True)
class Bucket:
    """One bar of the histogram: runs due in ``[start, end)`` by state type."""

    start: float
    end: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PoolHealth:
    id: UUID
    name: str
    paused: bool
    online: int
    offline: int
    last_heartbeat: float | None


def _bucket_index(width: float, since: float, dialect: str) -> Any:
    offset = (flow_runs.c.expected_start_time - since) / width
    # The offset is never negative here, so truncating is flooring; PostgreSQL's
    # cast rounds, hence floor() there (SQLite may lack the math functions).
    if dialect == "postgresql":
        return cast(func.floor(offset), Integer)
    return cast(offset, Integer)


def run_histogram(conn: Connection, *, since: float, until: float, buckets: int) -> list[Bucket]:
    """``buckets`` equal slices of ``[since, until)``, each with its runs by state type
    (their sum is the window's runs by state: one scan of the window serves both)."""
    if buckets < 1 or until <= since:
        raise ValueError("a histogram needs at least one bucket and a positive window")
    width = (until - since) / buckets
    c = flow_runs.c
    index = _bucket_index(width, since, conn.dialect.name).label("bucket")
    rows = conn.execute(
        select(index, c.state_type, func.count())
        .where(c.expected_start_time >= since, c.expected_start_time < until)
        .group_by(index, c.state_type)
    )
    counts: list[dict[str, int]] = [{} for _ in range(buckets)]
    for bucket, state, n in rows:
        slot = min(max(int(bucket), 0), buckets - 1)  # float edges land in the last bar
        counts[slot][str(state)] = counts[slot].get(str(state), 0) + int(n)
    return [Bucket(since + i * width, since + (i + 1) * width, counts[i]) for i in range(buckets)]


def task_run_counts(conn: Connection, *, since: float, until: float) -> dict[str, int]:
    """Task runs created in ``[since, until)`` by state type (a range scan of the
    index on creation time and state type: no table rows are read)."""
    c = task_runs.c
    rows = conn.execute(
        select(c.state_type, func.count())
        .where(c.created >= since, c.created < until)
        .group_by(c.state_type)
    )
    return {str(state): int(n) for state, n in rows}


def _run_columns() -> tuple[Any, ...]:
    c = flow_runs.c
    return (
        c.id,
        c.name,
        c.state_type,
        c.state_name,
        c.state_message,
        c.state_timestamp,
        c.expected_start_time,
        c.next_scheduled_start_time,
        c.start_time,
        c.end_time,
        c.deployment_id,
        select(flows.c.name).where(flows.c.id == c.flow_id).scalar_subquery().label("flow_name"),
    )


def recent_failures(conn: Connection, *, since: float, limit: int = 10) -> list[dict[str, Any]]:
    """The latest Failed or Crashed runs due at or after ``since``, latest first (served
    by the index on state type and expected start time)."""
    c = flow_runs.c
    query = (
        select(*_run_columns())
        .where(c.state_type.in_(FAILURE_TYPES), c.expected_start_time >= since)
        .order_by(c.expected_start_time.desc(), c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def _late_clause(cutoff: float) -> Any:
    """Scheduled runs named Late, or Scheduled ones due before ``cutoff`` (a run
    awaiting a retry is due at its retry time, not at its first expected start)."""
    c = flow_runs.c
    due = func.coalesce(c.next_scheduled_start_time, c.expected_start_time)
    return and_(c.state_type == "SCHEDULED", or_(c.state_name == "Late", due < cutoff))


def late_runs(
    conn: Connection, *, now: float, late_after: float, limit: int = 10
) -> tuple[list[dict[str, Any]], int]:
    """The most overdue late runs (up to ``limit``) and how many there are in all."""
    c = flow_runs.c
    where = _late_clause(now - late_after)
    total = conn.execute(select(func.count()).select_from(flow_runs).where(where)).scalar_one()
    query = (
        select(*_run_columns())
        .where(where)
        .order_by(c.expected_start_time.asc(), c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)], int(total)


def work_pool_health(conn: Connection, *, now: float, limit: int = 50) -> list[PoolHealth]:
    """Each work pool (by name) with its workers online and offline; a worker is
    online while its last heartbeat is within ``OFFLINE_AFTER_HEARTBEATS`` of its
    heartbeat intervals (the rule the work-pool API uses)."""
    w = workers.c
    online = w.last_heartbeat >= now - OFFLINE_AFTER_HEARTBEATS * w.heartbeat_seconds
    query = (
        select(
            work_pools.c.id,
            work_pools.c.name,
            work_pools.c.paused,
            func.count(case((online, 1))).label("online"),
            func.count(case((and_(w.id.is_not(None), ~online), 1))).label("offline"),
            func.max(w.last_heartbeat).label("last_heartbeat"),
        )
        .select_from(work_pools.outerjoin(workers, w.work_pool_id == work_pools.c.id))
        .group_by(work_pools.c.id, work_pools.c.name, work_pools.c.paused)
        .order_by(work_pools.c.name)
        .limit(limit)
    )
    return [
        PoolHealth(
            id=UUID(str(row.id)),
            name=row.name,
            paused=bool(row.paused),
            online=int(row.online),
            offline=int(row.offline),
            last_heartbeat=row.last_heartbeat,
        )
        for row in conn.execute(query)
    ]


# -- for the runs list -------------------------------------------------------------------
def flow_names(conn: Connection, *, limit: int = 500) -> list[str]:
    """Flow names for the list's flow filter, A to Z."""
    query = select(flows.c.name).order_by(flows.c.name).limit(limit)
    return [str(name) for name in conn.execute(query).scalars()]


def deployment_names(conn: Connection, *, limit: int = 500) -> dict[UUID, str]:
    """``flow/deployment`` for each deployment id (the list shows and filters by them)."""
    d = deployments.c
    query = (
        select(d.id, flows.c.name.label("flow_name"), d.name)
        .join(flows, flows.c.id == d.flow_id)
        .order_by(flows.c.name, d.name)
        .limit(limit)
    )
    return {UUID(str(row.id)): f"{row.flow_name}/{row.name}" for row in conn.execute(query)}


def run_states(conn: Connection, *, flow_run_ids: list[UUID]) -> dict[UUID, tuple[str, str]]:
    """``(state type, state name)`` of each of these runs that exists."""
    if not flow_run_ids:
        return {}
    c = flow_runs.c
    rows = conn.execute(select(c.id, c.state_type, c.state_name).where(c.id.in_(flow_run_ids)))
    return {UUID(str(row.id)): (row.state_type, row.state_name) for row in rows}
