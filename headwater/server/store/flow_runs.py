"""Flow runs: idempotent creation, orchestrated state changes, filtered reads."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.sql import Select

from headwater.exceptions import ObjectNotFound
from headwater.schemas.orchestration import OrchestrationResult, SetStateStatus
from headwater.schemas.records import FlowRunCreate
from headwater.server.db.dialect import insert_for, json_array_contains
from headwater.server.db.tables import flow_run_states, flow_runs, flows
from headwater.server.orchestration.context import TransitionContext
from headwater.server.orchestration.policy import decide_transition
from headwater.server.store.flows import ensure_flow
from headwater.server.store.states import state_columns, state_from_columns
from headwater.states import TERMINAL_TYPES, State, StateType
from headwater.utilities.ids import new_id

if TYPE_CHECKING:  # pydantic schemas are imported by the read functions only
    from headwater.schemas.filters import FlowRunFilter, FlowRunSort
    from headwater.schemas.flow_runs import FlowRun

_COLUMNS = (*flow_runs.c, flows.c.name.label("flow_name"))


def _run_query() -> Select[Any]:
    return select(*_COLUMNS).join(flows, flows.c.id == flow_runs.c.flow_id)


def _row_to_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["state"] = state_from_columns(data, run_key="flow_run_id")
    return data


def create_flow_run(conn: Connection, *, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
    """Create a flow run in ``state``; a repeated create (same id, or same flow and
    idempotency key) returns the existing run unchanged with ``"created": False``."""
    run_id = flow_run.get("id") or new_id()
    existing = conn.execute(_run_query().where(flow_runs.c.id == run_id)).first()
    if existing is not None:
        return {**_row_to_dict(existing), "created": False}
    flow_id = ensure_flow(conn, name=flow_run["flow_name"])
    key = flow_run.get("idempotency_key")
    if key is not None:
        found = _by_idempotency_key(conn, flow_id, key)
        if found is not None:
            return {**found, "created": False}
    now = time.time()
    state.state_details.flow_run_id = run_id
    values: dict[str, Any] = {
        "id": run_id,
        "flow_id": flow_id,
        "name": flow_run["name"],
        "flow_version": flow_run.get("flow_version"),
        "parameters": flow_run.get("parameters") or {},
        "tags": flow_run.get("tags") or [],
        "parent_flow_run_id": flow_run.get("parent_flow_run_id"),
        "parent_task_run_id": flow_run.get("parent_task_run_id"),
        "idempotency_key": key,
        "empirical_policy": flow_run.get("empirical_policy") or {},
        "entrypoint": flow_run.get("entrypoint"),
        "expected_start_time": flow_run.get("expected_start_time") or now,
        "next_scheduled_start_time": None,
        "start_time": None,
        "end_time": None,
        "total_run_time": 0.0,
        "run_count": 0,
        "created": now,
        "updated": now,
        **state_columns(state),
    }
    _apply_bookkeeping(values, None, state)
    stmt = insert_for(conn, flow_runs).values(**values).on_conflict_do_nothing()
    if conn.execute(stmt).rowcount == 0:  # lost a race for the idempotency key
        found = _by_idempotency_key(conn, flow_id, key) if key else None
        if found is None:
            raise ObjectNotFound(f"flow run {run_id} could not be created")
        return {**found, "created": False}
    _record_state(conn, run_id, state)
    return {**values, "flow_name": flow_run["flow_name"], "state": state, "created": True}


def _by_idempotency_key(conn: Connection, flow_id: UUID, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        _run_query().where(flow_runs.c.flow_id == flow_id, flow_runs.c.idempotency_key == key)
    ).first()
    return _row_to_dict(row) if row else None


def _record_state(conn: Connection, flow_run_id: UUID, state: State) -> None:
    conn.execute(
        insert(flow_run_states).values(
            id=new_id(),
            flow_run_id=flow_run_id,
            type=state.type.value,
            name=state.name,
            message=state.message,
            timestamp=state.timestamp.timestamp(),
            details=state.state_details.to_dict(),
        )
    )


def _apply_bookkeeping(values: dict[str, Any], initial: State | None, state: State) -> None:
    """Run counters and timings that follow from entering ``state``."""
    ts = state.timestamp.timestamp()
    if initial is not None and initial.type is StateType.RUNNING:
        values["total_run_time"] = (values.get("total_run_time") or 0.0) + max(
            0.0, ts - initial.timestamp.timestamp()
        )
    if state.type is StateType.RUNNING:
        values["run_count"] = (values.get("run_count") or 0) + 1
        if values.get("start_time") is None:
            values["start_time"] = ts
        values["end_time"] = None
    elif state.type in TERMINAL_TYPES:
        values["end_time"] = ts
    elif state.type is StateType.SCHEDULED:
        scheduled = state.state_details.scheduled_time
        values["next_scheduled_start_time"] = scheduled.timestamp() if scheduled else ts


def set_flow_run_state(
    conn: Connection, *, flow_run_id: UUID, state: State, force: bool = False
) -> OrchestrationResult:
    """Propose ``state`` for a flow run; the orchestration policy may answer with
    another state (e.g. AwaitingRetry) or reject it.  ``force`` skips the policy."""
    query = select(flow_runs).where(flow_runs.c.id == flow_run_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    run = dict(row._mapping)
    initial = state_from_columns(run, run_key="flow_run_id")
    if force:
        status, new_state, reason = SetStateStatus.ACCEPT, state, None
    else:
        decision = decide_transition(TransitionContext(run=run, initial=initial, proposed=state))
        status, reason = decision.status, decision.reason
        new_state = decision.state or initial
    if new_state is not initial:
        new_state.state_details.flow_run_id = flow_run_id
        changes: dict[str, Any] = {
            "run_count": run["run_count"],
            "start_time": run["start_time"],
            "end_time": run["end_time"],
            "total_run_time": run["total_run_time"],
            "next_scheduled_start_time": run["next_scheduled_start_time"],
            "updated": time.time(),
            **state_columns(new_state),
        }
        _apply_bookkeeping(changes, initial, new_state)
        conn.execute(update(flow_runs).where(flow_runs.c.id == flow_run_id).values(**changes))
        _record_state(conn, flow_run_id, new_state)
    return OrchestrationResult(status, new_state, reason)


def read_flow_run(conn: Connection, *, flow_run_id: UUID) -> FlowRun:
    row = conn.execute(_run_query().where(flow_runs.c.id == flow_run_id)).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    return flow_run_schema(_row_to_dict(row))


def flow_run_schema(data: dict[str, Any]) -> FlowRun:
    from headwater.schemas.flow_runs import FlowRun

    fields = {key: data[key] for key in FlowRun.model_fields if key in data}
    return FlowRun.model_validate(fields)


_SORTS = {
    "CREATED_DESC": (flow_runs.c.created.desc(),),
    "START_TIME_DESC": (
        flow_runs.c.start_time.desc().nulls_last(),
        flow_runs.c.created.desc(),
    ),
    "START_TIME_ASC": (flow_runs.c.start_time.asc().nulls_last(), flow_runs.c.created),
    "EXPECTED_START_TIME_ASC": (flow_runs.c.expected_start_time.asc(),),
    "EXPECTED_START_TIME_DESC": (flow_runs.c.expected_start_time.desc(),),
    "NAME_ASC": (flow_runs.c.name.asc(),),
}


def apply_flow_run_filter(query: Select[Any], flt: FlowRunFilter | None, dialect: str) -> Any:
    """Narrow a query over ``flow_runs`` (joined with ``flows``) by ``flt``."""
    if flt is None:
        return query
    c = flow_runs.c
    if flt.ids is not None:
        query = query.where(c.id.in_(flt.ids))
    if flt.flow_ids is not None:
        query = query.where(c.flow_id.in_(flt.flow_ids))
    if flt.flow_names is not None:
        query = query.where(flows.c.name.in_(flt.flow_names))
    if flt.state_types is not None:
        query = query.where(c.state_type.in_([t.value for t in flt.state_types]))
    if flt.state_names is not None:
        query = query.where(c.state_name.in_(flt.state_names))
    for tag in flt.tags_all or ():
        query = query.where(json_array_contains(c.tags, tag, dialect))
    if flt.parent_flow_run_id is not None:
        query = query.where(c.parent_flow_run_id == flt.parent_flow_run_id)
    if flt.parent_task_run_id is not None:
        query = query.where(c.parent_task_run_id == flt.parent_task_run_id)
    if flt.name_like:
        query = query.where(c.name.ilike(f"%{flt.name_like}%"))
    if flt.start_time_after is not None:
        query = query.where(c.start_time >= flt.start_time_after.timestamp())
    if flt.start_time_before is not None:
        query = query.where(c.start_time <= flt.start_time_before.timestamp())
    return query


def read_flow_runs(
    conn: Connection,
    *,
    flow_run_filter: FlowRunFilter | None = None,
    sort: FlowRunSort | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[FlowRun]:
    query = apply_flow_run_filter(_run_query(), flow_run_filter, conn.dialect.name)
    order = _SORTS[sort.value if sort is not None else "CREATED_DESC"]
    query = query.order_by(*order, flow_runs.c.id).limit(limit).offset(offset)
    return [flow_run_schema(_row_to_dict(row)) for row in conn.execute(query)]


def count_flow_runs(conn: Connection, *, flow_run_filter: FlowRunFilter | None = None) -> int:
    query = select(func.count()).select_from(
        flow_runs.join(flows, flows.c.id == flow_runs.c.flow_id)
    )
    return conn.execute(
        apply_flow_run_filter(query, flow_run_filter, conn.dialect.name)
    ).scalar_one()


def read_flow_run_states(conn: Connection, *, flow_run_id: UUID) -> list[State]:
    """The run's state history, oldest first."""
    rows = conn.execute(
        select(flow_run_states)
        .where(flow_run_states.c.flow_run_id == flow_run_id)
        .order_by(flow_run_states.c.timestamp, flow_run_states.c.id)
    )
    return [
        State.from_dict(
            {
                "type": r.type,
                "name": r.name,
                "message": r.message,
                "timestamp": r.timestamp,
                "state_details": r.details,
            }
        )
        for r in rows
    ]


def delete_flow_run(conn: Connection, *, flow_run_id: UUID) -> None:
    """Delete a flow run with its states, task runs and logs."""
    result = conn.execute(delete(flow_runs).where(flow_runs.c.id == flow_run_id))
    if result.rowcount == 0:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
