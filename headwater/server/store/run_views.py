"""Reads for the UI's run pages: one flow run with the names of what it belongs to,
its task runs counted by state, its subflows, and its logs as a live tail.

Rows come back as plain dicts with epoch-float times (what the templates format),
not as pydantic models: a page shows a few hundred rows and should not pay for
validating them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, func, select

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import (
    deployments,
    flow_runs,
    flows,
    logs,
    task_runs,
    work_pools,
    work_queues,
)
from headwater.server.db.text_match import contains_text

_OVERVIEW = (
    select(
        flow_runs,
        flows.c.name.label("flow_name"),
        deployments.c.name.label("deployment_name"),
        work_pools.c.name.label("work_pool_name"),
        work_queues.c.name.label("work_queue_name"),
    )
    .join(flows, flows.c.id == flow_runs.c.flow_id)
    .outerjoin(deployments, deployments.c.id == flow_runs.c.deployment_id)
    .outerjoin(work_pools, work_pools.c.id == flow_runs.c.work_pool_id)
    .outerjoin(work_queues, work_queues.c.id == flow_runs.c.work_queue_id)
    .where(flow_runs.c.id == bindparam("flow_run_id"))
)


def read_flow_run_overview(conn: Connection, *, flow_run_id: UUID) -> dict[str, Any]:
    """The run's row plus ``flow_name``, ``deployment_name``, ``work_pool_name`` and
    ``work_queue_name`` (None when the run has none), in one query."""
    row = conn.execute(_OVERVIEW, {"flow_run_id": flow_run_id}).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    return dict(row._mapping)


_COUNTS = (
    select(task_runs.c.state_type, func.count())
    .where(task_runs.c.flow_run_id == bindparam("flow_run_id"))
    .group_by(task_runs.c.state_type)
)


def count_task_runs_by_state(conn: Connection, *, flow_run_id: UUID) -> dict[str, int]:
    """``{"COMPLETED": 9990, "FAILED": 10}`` for the run's task runs."""
    return {str(state): int(n) for state, n in conn.execute(_COUNTS, {"flow_run_id": flow_run_id})}


def read_subflow_runs(
    conn: Connection, *, flow_run_id: UUID, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` child flow runs (by start) and how many there are."""
    c = flow_runs.c
    query = (
        select(
            c.id,
            c.name,
            c.state_type,
            c.state_name,
            c.start_time,
            c.end_time,
            c.expected_start_time,
            flows.c.name.label("flow_name"),
        )
        .join(flows, flows.c.id == c.flow_id)
        .where(c.parent_flow_run_id == flow_run_id)
        .order_by(c.expected_start_time, c.id)
        .limit(limit)
    )
    rows = [dict(row._mapping) for row in conn.execute(query)]
    total = len(rows)
    if total == limit:
        total = conn.execute(
            select(func.count()).where(c.parent_flow_run_id == flow_run_id)
        ).scalar_one()
    return rows, total


def read_flow_run_label(conn: Connection, *, flow_run_id: UUID) -> dict[str, Any] | None:
    """``{"id", "name", "flow_name"}`` of a flow run (a task run page's heading), or
    None when the run is gone."""
    row = conn.execute(
        select(flow_runs.c.id, flow_runs.c.name, flows.c.name.label("flow_name"))
        .join(flows, flows.c.id == flow_runs.c.flow_id)
        .where(flow_runs.c.id == flow_run_id)
    ).first()
    return dict(row._mapping) if row is not None else None


def read_task_run_names(conn: Connection, *, task_run_ids: Iterable[UUID]) -> dict[str, str]:
    """``{str(id): name}`` of the task runs that exist among ``task_run_ids``."""
    wanted = list(task_run_ids)
    if not wanted:
        return {}
    rows = conn.execute(select(task_runs.c.id, task_runs.c.name).where(task_runs.c.id.in_(wanted)))
    return {str(row.id): row.name for row in rows}


def read_log_tail(
    conn: Connection,
    *,
    flow_run_id: UUID | None = None,
    task_run_id: UUID | None = None,
    level_ge: int = 0,
    text: str | None = None,
    after: float | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Logs of a flow run (or of one task run), oldest first, each with its task
    run's name (``task_name``, None for the flow's own lines).

    Without ``after``: the newest ``limit`` lines (the tail a page opens on).  With
    ``after`` (epoch seconds): the first ``limit`` lines stamped later than it (what
    a live page asks for next)."""
    if flow_run_id is None and task_run_id is None:
        raise ValueError("read_log_tail needs a flow run or a task run")
    from headwater.server.store.log_pages import LOG_LINES

    query = _log_conditions(LOG_LINES, flow_run_id, task_run_id, level_ge, text)
    if after is None:
        newest = query.order_by(logs.c.timestamp.desc(), logs.c.id.desc()).limit(limit)
        rows = list(conn.execute(newest))
        rows.reverse()
    else:
        query = query.where(logs.c.timestamp > after)
        rows = list(conn.execute(query.order_by(logs.c.timestamp, logs.c.id).limit(limit)))
    return [dict(row._mapping) for row in rows]


def count_logs(
    conn: Connection,
    *,
    flow_run_id: UUID | None = None,
    task_run_id: UUID | None = None,
    level_ge: int = 0,
    text: str | None = None,
) -> int:
    query = select(func.count()).select_from(logs)
    query = _log_conditions(query, flow_run_id, task_run_id, level_ge, text)
    return int(conn.execute(query).scalar_one())


def _log_conditions(
    query: Any, flow_run_id: UUID | None, task_run_id: UUID | None, level_ge: int, text: str | None
) -> Any:
    """The filters shared by the log tail and its count."""
    if flow_run_id is not None:
        query = query.where(logs.c.flow_run_id == flow_run_id)
    if task_run_id is not None:
        query = query.where(logs.c.task_run_id == task_run_id)
    if level_ge > 0:
        query = query.where(logs.c.level >= level_ge)
    if text:
        query = query.where(contains_text(logs.c.message, text))
    return query
