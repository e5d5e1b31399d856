"""Numbers about deployments for the UI: each one's last run, its upcoming and recent
runs.  Reads only; the deployments themselves come from ``store.deployments``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, select

from headwater.server.db.tables import deployments, flow_runs
from headwater.server.store.flow_stats import RunBrief, last_started_run_id, read_run_briefs
from headwater.states import StateType

if TYPE_CHECKING:
    from headwater.schemas.flow_runs import FlowRun

#: Every state but Scheduled: the runs that are under way or over.
NOT_SCHEDULED: list[StateType] = [t for t in StateType if t is not StateType.SCHEDULED]


def last_runs(conn: Connection, *, deployment_ids: list[UUID]) -> dict[UUID, RunBrief]:
    """The run of each deployment that started last (deployments without one left out)."""
    if not deployment_ids:
        return {}
    # Walk the flow's (flow_id, start_time) index from the newest run and stop at the
    # first of this deployment: the deployment's own index is not by start time.
    last = last_started_run_id(
        flow_runs.c.deployment_id,
        deployments.c.id,
        flow_runs.c.flow_id == deployments.c.flow_id,
    )
    rows = conn.execute(
        select(deployments.c.id, last.label("run_id")).where(deployments.c.id.in_(deployment_ids))
    ).all()
    briefs = read_run_briefs(conn, [row.run_id for row in rows if row.run_id])
    out: dict[UUID, RunBrief] = {}
    for row in rows:
        brief = briefs.get(UUID(str(row.run_id))) if row.run_id else None
        if brief is not None:
            out[UUID(str(row.id))] = brief
    return out


def upcoming_runs(conn: Connection, *, deployment_id: UUID, limit: int = 10) -> list[FlowRun]:
    """The deployment's Scheduled runs, soonest first."""
    return _runs(conn, deployment_id, [StateType.SCHEDULED], "EXPECTED_START_TIME_ASC", limit)


def recent_runs(conn: Connection, *, deployment_id: UUID, limit: int = 20) -> list[FlowRun]:
    """The deployment's runs that are not Scheduled, latest due first."""
    return _runs(conn, deployment_id, NOT_SCHEDULED, "EXPECTED_START_TIME_DESC", limit)


def _runs(
    conn: Connection, deployment_id: UUID, states: list[StateType], sort: str, limit: int
) -> list[Any]:
    from headwater.schemas.filters import FlowRunFilter, FlowRunSort
    from headwater.server.store.flow_runs import read_flow_runs

    return read_flow_runs(
        conn,
        flow_run_filter=FlowRunFilter(deployment_ids=[deployment_id], state_types=states),
        sort=FlowRunSort(sort),
        limit=limit,
    )
