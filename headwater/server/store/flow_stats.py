"""Flows with their numbers for the UI: runs, deployments and the last run, in SQL.

The counts and the "last run" are correlated subqueries per flow of the page: each
is served by the ``(flow_id, start_time)`` index of ``flow_runs`` (and the unique
``(flow_id, name)`` of ``deployments``), so a page of flows costs the same whether
the store holds a thousand runs or a hundred thousand of other flows.  The last run
is the one that started last; runs that never started (Scheduled, or cancelled
before starting) do not count as "last run".
"""

from __future__ import annotations

from typing import Any, TypedDict
from uuid import UUID

from sqlalchemy import Connection, func, select

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import deployments, flow_runs, flows
from headwater.server.db.text_match import contains_text


class RunBrief(TypedDict):
    """The few fields of a run a list shows."""

    id: UUID
    name: str
    state_type: str
    state_name: str
    start_time: float | None
    end_time: float | None


class FlowSummary(TypedDict):
    id: UUID
    name: str
    tags: list[str]
    created: float
    run_count: int
    deployment_count: int
    last_run: RunBrief | None


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def read_run_briefs(conn: Connection, run_ids: list[Any]) -> dict[UUID, RunBrief]:
    """``RunBrief`` by id for ``run_ids`` (missing ids left out)."""
    if not run_ids:
        return {}
    c = flow_runs.c
    rows = conn.execute(
        select(c.id, c.name, c.state_type, c.state_name, c.start_time, c.end_time).where(
            c.id.in_(run_ids)
        )
    )
    return {
        _uuid(row.id): RunBrief(
            id=_uuid(row.id),
            name=row.name,
            state_type=row.state_type,
            state_name=row.state_name,
            start_time=row.start_time,
            end_time=row.end_time,
        )
        for row in rows
    }


def last_started_run_id(key_column: Any, owner_column: Any, *also: Any) -> Any:
    """A correlated subquery: the id of the run (``key_column == owner_column`` and
    the conditions ``also``) that started last, or NULL."""
    c = flow_runs.c
    return (
        select(c.id)
        .where(key_column == owner_column, c.start_time.is_not(None), *also)
        .order_by(c.start_time.desc(), c.id.desc())
        .limit(1)
        .correlate_except(flow_runs)
        .scalar_subquery()
    )


def _summary_query() -> Any:
    run_count = (
        select(func.count())
        .select_from(flow_runs)
        .where(flow_runs.c.flow_id == flows.c.id)
        .correlate(flows)
        .scalar_subquery()
    )
    deployment_count = (
        select(func.count())
        .select_from(deployments)
        .where(deployments.c.flow_id == flows.c.id)
        .correlate(flows)
        .scalar_subquery()
    )
    return select(
        flows.c.id,
        flows.c.name,
        flows.c.tags,
        flows.c.created,
        run_count.label("run_count"),
        deployment_count.label("deployment_count"),
        last_started_run_id(flow_runs.c.flow_id, flows.c.id).label("last_run_id"),
    )


def _summaries(conn: Connection, rows: list[Any]) -> list[FlowSummary]:
    briefs = read_run_briefs(conn, [row.last_run_id for row in rows if row.last_run_id])
    return [
        FlowSummary(
            id=_uuid(row.id),
            name=row.name,
            tags=list(row.tags or []),
            created=row.created,
            run_count=int(row.run_count or 0),
            deployment_count=int(row.deployment_count or 0),
            last_run=briefs.get(_uuid(row.last_run_id)) if row.last_run_id else None,
        )
        for row in rows
    ]


def read_flow_summaries(
    conn: Connection, *, name_like: str | None = None, limit: int = 100, offset: int = 0
) -> list[FlowSummary]:
    """Flows by name with their run count, deployment count and last started run."""
    query = _summary_query()
    if name_like:
        query = query.where(contains_text(flows.c.name, name_like))
    rows = conn.execute(query.order_by(flows.c.name).limit(limit).offset(offset)).all()
    return _summaries(conn, list(rows))


def read_flow_summary(conn: Connection, *, flow_id: UUID) -> FlowSummary:
    """One flow's summary; ``ObjectNotFound`` when there is no such flow."""
    row = conn.execute(_summary_query().where(flows.c.id == flow_id)).first()
    if row is None:
        raise ObjectNotFound(f"flow {flow_id} not found")
    return _summaries(conn, [row])[0]
