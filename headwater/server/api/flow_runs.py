"""``/api/flow_runs``: idempotent creation, orchestrated state changes, filtered reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import Field

from headwater.schemas.actions import FlowRunCreate, SetFlowRunState
from headwater.schemas.base import Schema
from headwater.schemas.filters import FlowRunFilter
from headwater.schemas.flow_runs import FlowRun, SetStateResult
from headwater.schemas.limits import Message
from headwater.schemas.pages import FlowRunCount, FlowRunPage, FlowRunQuery
from headwater.schemas.records import FlowRunCreate as FlowRunRecord
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import flow_runs, run_control, task_runs
from headwater.states import Pending, State
from headwater.utilities.names import random_run_name

router = APIRouter(prefix="/flow_runs", tags=["Flow runs"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such flow run"}}


@router.post(
    "",
    response_model=FlowRun,
    status_code=201,
    responses={200: {"description": "The run already existed (same id or idempotency key)"}},
    summary="Create a flow run (idempotent)",
)
def create_flow_run(body: FlowRunCreate, db: DatabaseDep) -> Response:
    """201 with the new run; 200 with the existing one when the ``id``, or the flow's
    ``idempotency_key``, was used before (a retried request never makes a duplicate)."""
    record: FlowRunRecord = {
        "flow_name": body.flow_name,
        "name": body.name or random_run_name(),
        "flow_version": body.flow_version,
        "parameters": body.parameters,
        "tags": body.tags,
        "parent_flow_run_id": body.parent_flow_run_id,
        "parent_task_run_id": body.parent_task_run_id,
        "idempotency_key": body.idempotency_key,
        "empirical_policy": body.empirical_policy.model_dump(exclude_none=True),
        "entrypoint": body.entrypoint,
        "expected_start_time": body.expected_start_time.timestamp()
        if body.expected_start_time
        else None,
    }
    if body.id is not None:
        record["id"] = body.id
    state = body.state.to_state() if body.state is not None else Pending()
    with db.begin_write() as conn:
        created = flow_runs.create_flow_run(conn, flow_run=record, state=state)
    status = 201 if created["was_created"] else 200
    return model_response(flow_runs.flow_run_schema(created), status)


@router.post("/filter", response_model=FlowRunPage, summary="Filter, sort and page flow runs")
def read_flow_runs(db: DatabaseDep, body: FlowRunQuery | None = None) -> Response:
    query = body or FlowRunQuery()
    with db.begin_read() as conn:
        results, next_cursor = flow_runs.read_flow_runs_page(
            conn,
            flow_run_filter=query.flow_runs,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
            cursor=query.cursor,
        )
    return model_response(FlowRunPage(results=results, next_cursor=next_cursor))


@router.post("/count", response_model=int, summary="Count flow runs matching a filter")
def count_flow_runs(db: DatabaseDep, body: FlowRunCount | None = None) -> Response:
    flt = (body or FlowRunCount()).flow_runs
    with db.begin_read() as conn:
        return json_response(flow_runs.count_flow_runs(conn, flow_run_filter=flt))


@router.get("/{flow_run_id}", response_model=FlowRun, responses=NOT_FOUND, summary="Read")
def read_flow_run(flow_run_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(flow_runs.read_flow_run(conn, flow_run_id=flow_run_id))


@router.get(
    "/{flow_run_id}/states",
    response_model=list[State],
    responses=NOT_FOUND,
    summary="State history, oldest first",
)
def read_flow_run_states(flow_run_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        flow_runs.read_flow_run(conn, flow_run_id=flow_run_id)
        states = flow_runs.read_flow_run_states(conn, flow_run_id=flow_run_id)
    return json_response([state.to_dict() for state in states])


@router.get(
    "/{flow_run_id}/graph",
    responses=NOT_FOUND,
    summary="The run's task runs and subflows as a laid-out graph",
)
def read_flow_run_graph(
    flow_run_id: UUID, db: DatabaseDep, expand: Annotated[list[str] | None, Query()] = None
) -> Response:
    """Nodes (task runs, subflows, and mapped calls folded into one node unless
    named in ``expand``) with x/y positions, and edges as pairs of node indices, from
    the recorded lineage (task inputs and ``wait_for``)."""
    from headwater.server.store.run_graph import read_run_graph

    wanted = {name[:60] for name in (expand or [])[:100]}
    with db.begin_read() as conn:
        return json_response(read_run_graph(conn, flow_run_id=flow_run_id, expand=wanted))


@router.post(
    "/{flow_run_id}/set_state",
    response_model=SetStateResult,
    responses=NOT_FOUND,
    summary="Propose a new state (orchestrated)",
)
def set_flow_run_state(flow_run_id: UUID, body: SetFlowRunState, db: DatabaseDep) -> Response:
    """The answer's ``status`` is ACCEPT (the run is now in the proposed state) or REJECT
    (the run is in ``state`` instead, e.g. AwaitingRetry, with a ``reason``)."""
    with db.begin_write() as conn:
        result = flow_runs.set_flow_run_state(
            conn, flow_run_id=flow_run_id, state=body.state.to_state(), force=body.force
        )
    return json_response(result.to_dict())


@router.delete("/{flow_run_id}", status_code=204, responses=NOT_FOUND, summary="Delete")
def delete_flow_run(flow_run_id: UUID, db: DatabaseDep) -> Response:
    """Delete a flow run with its state history, task runs and logs."""
    with db.begin_write() as conn:
        flow_runs.delete_flow_run(conn, flow_run_id=flow_run_id)
    return Response(status_code=204)


@router.get(
    "/{flow_run_id}/resume_map",
    response_model=list[dict[str, Any]],
    responses={404: {"description": "No such flow run"}},
    summary="What earlier attempts left, per task (for re-running from failure)",
)
def read_resume_map(flow_run_id: UUID, db: DatabaseDep) -> Response:
    """One entry per ``(task_key, dynamic_key)``: the newest attempt's state type,
    persisted result ref, cache key and, for a subflow call, the child run's id."""
    with db.begin_read() as conn:
        flow_runs.read_flow_run(conn, flow_run_id=flow_run_id)
        found = task_runs.read_resume_map(conn, flow_run_id=flow_run_id)
    entries = [
        {"task_key": task_key, "dynamic_key": dynamic_key, **entry}
        for (task_key, dynamic_key), entry in found.items()
    ]
    return json_response(entries)


class CancelRequest(Schema):
    flow_runs: FlowRunFilter = Field(
        default_factory=FlowRunFilter,
        description='Which runs, e.g. {"state_names": ["Late"], "deployment_ids": [ID]}',
    )
    limit: int = Field(default=1000, ge=1, le=10_000)


class CancelResult(Schema):
    cancelled: list[UUID] = Field(description="Runs now Cancelled or Cancelling.")


class HeartbeatBody(Schema):
    pid: Annotated[str, Field(max_length=100)] | None = None


class CrashBody(Schema):
    message: Message
    attempt_since: dt.datetime | None = Field(
        default=None,
        description="The process ran the attempt claimed at this time: a run suspended or "
        "ended since then belongs to a later attempt and is left as it is.",
    )


@router.post(
    "/cancel",
    response_model=CancelResult,
    summary="Cancel every unfinished run matching a filter (e.g. all Late runs)",
)
def cancel_flow_runs(body: CancelRequest, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        ids = run_control.cancel_flow_runs(conn, flow_run_filter=body.flow_runs, limit=body.limit)
    return model_response(CancelResult(cancelled=ids))


@router.post(
    "/{flow_run_id}/cancel",
    response_model=State,
    responses=NOT_FOUND,
    summary="Cancel a run (and its subflows)",
)
def cancel_flow_run(flow_run_id: UUID, db: DatabaseDep) -> Response:
    """A run that has not started is Cancelled at once; a running one becomes Cancelling
    and its worker or serve process stops it.  Answers with the run's new state (a
    finished run is left as it is)."""
    with db.begin_write() as conn:
        state = run_control.cancel_flow_run(conn, flow_run_id=flow_run_id)
    return json_response(state.to_dict())


@router.post(
    "/{flow_run_id}/heartbeat",
    response_model=dict[str, str],
    responses=NOT_FOUND,
    summary="The run's process is alive (answers the run's state type)",
)
def heartbeat_flow_run(
    flow_run_id: UUID, db: DatabaseDep, body: HeartbeatBody | None = None
) -> Response:
    with db.begin_write() as conn:
        kind = run_control.heartbeat_flow_run(
            conn, flow_run_id=flow_run_id, pid=body.pid if body else None
        )
    return json_response({"state_type": kind})


@router.post(
    "/{flow_run_id}/crash",
    response_model=State,
    responses=NOT_FOUND,
    summary="Report that the run's process died (Crashed; retried when retries remain)",
)
def crash_flow_run(flow_run_id: UUID, body: CrashBody, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        state = run_control.crash_flow_run(
            conn,
            flow_run_id=flow_run_id,
            message=body.message,
            attempt_since=_timestamp(body.attempt_since),
        )
    return json_response(state.to_dict())


def _timestamp(when: dt.datetime | None) -> float | None:
    """A timestamp (a naive datetime is taken as UTC)."""
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()
