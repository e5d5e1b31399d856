"""Flow runs: idempotent creation, orchestrated state changes, filtered reads."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.sql import Select

from headwater.exceptions import ObjectNotFound
from headwater.schemas.orchestration import OrchestrationResult, SetStateStatus
from headwater.schemas.records import FlowRunCreate
from headwater.server.db.after_commit import after_commit
from headwater.server.db.bulk import BulkStatement, bulk_statement
from headwater.server.db.dialect import insert_for, json_array_contains
from headwater.server.db.tables import flow_run_states, flow_runs, flows
from headwater.server.db.text_match import contains_text
from headwater.server.events import domain
from headwater.server.notify import notify_work
from headwater.server.orchestration.context import TransitionContext
from headwater.server.orchestration.policy import FLOW_RUN_POLICY, decide_transition
from headwater.server.orchestration.rules import Rule
from headwater.server.store import events, leases
from headwater.server.store.flows import ensure_flow
from headwater.server.store.pagination import (
    SortKey,
    after,
    cursor_for,
    decode_cursor,
    order_by,
)
from headwater.server.store.states import state_columns, state_from_columns
from headwater.states import TERMINAL_TYPES, State, StateType
from headwater.utilities.ids import new_id

if TYPE_CHECKING:  # pydantic schemas are imported by the read functions only
    from headwater.schemas.filters import FlowRunFilter, FlowRunSort
    from headwater.schemas.flow_runs import FlowRun

# The flow's name comes from a correlated subquery rather than a join: the only table
# in FROM is then flow_runs, so the planner walks the index that serves the page's
# order and stops after LIMIT rows (with a join, SQLite may start from flows and
# sort every run).
_FLOW_NAME = (
    select(flows.c.name).where(flows.c.id == flow_runs.c.flow_id).scalar_subquery()
).label("flow_name")
_COLUMNS = (*flow_runs.c, _FLOW_NAME)


def _run_query() -> Select[Any]:
    return select(*_COLUMNS)


# Statements built once: SQLAlchemy then reuses their compiled form (a statement
# built per call costs more to fingerprint than SQLite takes to run it).
_RUN_BY_ID = _run_query().where(flow_runs.c.id == bindparam("run_id"))
_RUN_BY_KEY = _run_query().where(
    flow_runs.c.flow_id == bindparam("flow_id"),
    flow_runs.c.idempotency_key == bindparam("key"),
)
_ROW_BY_ID = select(flow_runs).where(flow_runs.c.id == bindparam("run_id"))
_ROW_BY_ID_FOR_UPDATE = _ROW_BY_ID.with_for_update()
_UPDATE_BY_ID = update(flow_runs).where(flow_runs.c.id == bindparam("run_id"))
_FLOW_NAME_BY_ID = select(flows.c.name).where(flows.c.id == bindparam("flow_id"))


def _insert_run(conn: Connection) -> BulkStatement:
    return bulk_statement(
        conn,
        "insert_flow_run",
        lambda: (flow_runs, insert_for(conn, flow_runs).on_conflict_do_nothing()),
    )


def _insert_state(conn: Connection) -> BulkStatement:
    return bulk_statement(
        conn, "insert_flow_run_state", lambda: (flow_run_states, insert(flow_run_states))
    )


def _row_to_dict(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["state"] = state_from_columns(data, run_key="flow_run_id")
    return data


def create_flow_run(conn: Connection, *, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
    """Create a flow run in ``state``; a repeated create (same id, or same flow and
    idempotency key) returns the existing run unchanged with ``"was_created": False``.

    The insert comes first and skips a conflict (the id, or the flow's key, taken):
    creating is the common case, so it costs three statements, not five."""
    run_id = flow_run.get("id") or new_id()
    flow_id = ensure_flow(conn, name=flow_run["flow_name"])
    key = flow_run.get("idempotency_key")
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
        "deployment_id": flow_run.get("deployment_id"),
        "work_pool_id": flow_run.get("work_pool_id"),
        "work_queue_id": flow_run.get("work_queue_id"),
        "schedule_id": flow_run.get("schedule_id"),
        "auto_scheduled": bool(flow_run.get("auto_scheduled")),
        "worker_name": None,
        "infrastructure_pid": None,
        "heartbeat": None,
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
    if _insert_run(conn).execute_one(conn, values) == 0:  # the id or the key exists
        row = conn.execute(_RUN_BY_ID, {"run_id": run_id}).first()
        found = _row_to_dict(row) if row else None
        if found is None and key is not None:
            found = _by_idempotency_key(conn, flow_id, key)
        if found is None:
            raise ObjectNotFound(f"flow run {run_id} could not be created")
        return {**found, "was_created": False}
    _record_state(conn, run_id, state)
    events.record_events(conn, [domain.flow_run_state(values, flow_run["flow_name"], None, state)])
    return {**values, "flow_name": flow_run["flow_name"], "state": state, "was_created": True}


def _by_idempotency_key(conn: Connection, flow_id: UUID, key: str) -> dict[str, Any] | None:
    row = conn.execute(_RUN_BY_KEY, {"flow_id": flow_id, "key": key}).first()
    return _row_to_dict(row) if row else None


def _record_state(conn: Connection, flow_run_id: UUID, state: State) -> None:
    _insert_state(conn).execute_one(
        conn,
        {
            "id": new_id(),
            "flow_run_id": flow_run_id,
            "type": state.type.value,
            "name": state.name,
            "message": state.message,
            "timestamp": state.timestamp.timestamp(),
            "details": state.state_details.to_dict(),
        },
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
    conn: Connection,
    *,
    flow_run_id: UUID,
    state: State,
    force: bool = False,
    policy: tuple[Rule, ...] = FLOW_RUN_POLICY,
) -> OrchestrationResult:
    """Propose ``state`` for a flow run; the orchestration ``policy`` may answer with
    another state (e.g. AwaitingRetry) or reject it.  ``force`` skips the policy."""
    query = _ROW_BY_ID_FOR_UPDATE if conn.dialect.name == "postgresql" else _ROW_BY_ID
    row = conn.execute(query, {"run_id": flow_run_id}).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    run = dict(row._mapping)
    initial = state_from_columns(run, run_key="flow_run_id")
    if force:
        status, new_state, reason = SetStateStatus.ACCEPT, state, None
    else:
        context = TransitionContext(run=run, initial=initial, proposed=state)
        decision = decide_transition(context, policy)
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
        conn.execute(_UPDATE_BY_ID, {**changes, "run_id": flow_run_id})
        _record_state(conn, flow_run_id, new_state)
        flow_name = conn.execute(_FLOW_NAME_BY_ID, {"flow_id": run["flow_id"]}).scalar()
        events.record_events(conn, [domain.flow_run_state(run, flow_name, initial, new_state)])
        if new_state.type in TERMINAL_TYPES and initial.type not in TERMINAL_TYPES:
            # A run that ended holds nothing: its slots and locks go to their waiters.
            leases.release_for_runs(conn, flow_run_ids=[flow_run_id])
        if _frees_a_claim_slot(run, initial, new_state):
            # Its deployment's, queue's or pool's concurrency slot is free: workers
            # long-polling for runs look again now, not at their next recheck.
            after_commit(conn, notify_work)
    return OrchestrationResult(status, new_state, reason)


#: The states that hold a deployment, work-queue or work-pool concurrency slot (the
#: claim's ``ACTIVE``, ``server/store/claims.py``).
_HOLDS_CLAIM_SLOT = frozenset({StateType.PENDING, StateType.RUNNING, StateType.CANCELLING})


def _frees_a_claim_slot(run: dict[str, Any], initial: State, new_state: State) -> bool:
    if run["deployment_id"] is None and run["work_queue_id"] is None:
        return False
    return initial.type in _HOLDS_CLAIM_SLOT and new_state.type not in _HOLDS_CLAIM_SLOT


def read_flow_run(conn: Connection, *, flow_run_id: UUID) -> FlowRun:
    row = conn.execute(_RUN_BY_ID, {"run_id": flow_run_id}).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    return flow_run_schema(_row_to_dict(row))


def flow_run_schema(data: dict[str, Any]) -> FlowRun:
    from headwater.schemas.flow_runs import FlowRun

    fields = {key: data[key] for key in FlowRun.model_fields if key in data}
    return FlowRun.model_validate(fields)


_ID = SortKey(flow_runs.c.id, kind=UUID)

#: Sort orders, each ending with the id so a keyset cursor names one position.
SORTS: dict[str, tuple[SortKey, ...]] = {
    "CREATED_DESC": (SortKey(flow_runs.c.created, descending=True), _ID),
    "START_TIME_DESC": (
        SortKey(flow_runs.c.start_time, descending=True, nullable=True),
        SortKey(flow_runs.c.created, descending=True),
        _ID,
    ),
    "START_TIME_ASC": (
        SortKey(flow_runs.c.start_time, nullable=True),
        SortKey(flow_runs.c.created),
        _ID,
    ),
    "EXPECTED_START_TIME_ASC": (SortKey(flow_runs.c.expected_start_time, nullable=True), _ID),
    "EXPECTED_START_TIME_DESC": (
        SortKey(flow_runs.c.expected_start_time, descending=True, nullable=True),
        _ID,
    ),
    "NAME_ASC": (SortKey(flow_runs.c.name, kind=str), _ID),
    "NAME_DESC": (SortKey(flow_runs.c.name, descending=True, kind=str), _ID),
    "END_TIME_DESC": (SortKey(flow_runs.c.end_time, descending=True, nullable=True), _ID),
}


def apply_flow_run_filter(query: Select[Any], flt: FlowRunFilter | None, dialect: str) -> Any:
    """Narrow a query over ``flow_runs`` by ``flt`` (it needs no join with ``flows``)."""
    if flt is None:
        return query
    c = flow_runs.c
    if flt.ids is not None:
        query = query.where(c.id.in_(flt.ids))
    if flt.id_prefix is not None:
        from headwater.schemas.filters import id_prefix_bounds

        query = query.where(c.id.between(*id_prefix_bounds(flt.id_prefix)))
    if flt.flow_ids is not None:
        query = query.where(c.flow_id.in_(flt.flow_ids))
    if flt.flow_names is not None:
        named = select(flows.c.id).where(flows.c.name.in_(flt.flow_names))
        query = query.where(c.flow_id.in_(named))
    if flt.flow_versions is not None:
        query = query.where(c.flow_version.in_(flt.flow_versions))
    if flt.names is not None:
        query = query.where(c.name.in_(flt.names))
    if flt.state_types is not None:
        query = query.where(c.state_type.in_([t.value for t in flt.state_types]))
    if flt.state_types_not is not None:
        query = query.where(c.state_type.not_in([t.value for t in flt.state_types_not]))
    if flt.state_names is not None:
        query = query.where(c.state_name.in_(flt.state_names))
    if flt.state_names_not is not None:
        query = query.where(c.state_name.not_in(flt.state_names_not))
    for tag in flt.tags_all or ():
        query = query.where(json_array_contains(c.tags, tag, dialect))
    if flt.tags_any is not None:
        query = query.where(or_(*(json_array_contains(c.tags, t, dialect) for t in flt.tags_any)))
    if flt.parent_flow_run_id is not None:
        query = query.where(c.parent_flow_run_id == flt.parent_flow_run_id)
    if flt.parent_flow_run_ids is not None:
        query = query.where(c.parent_flow_run_id.in_(flt.parent_flow_run_ids))
    if flt.parent_task_run_id is not None:
        query = query.where(c.parent_task_run_id == flt.parent_task_run_id)
    if flt.has_parent is not None:
        column = c.parent_task_run_id
        query = query.where(column.is_not(None) if flt.has_parent else column.is_(None))
    if flt.end_time_after is not None:
        query = query.where(c.end_time >= flt.end_time_after.timestamp())
    if flt.end_time_before is not None:
        query = query.where(c.end_time <= flt.end_time_before.timestamp())
    if flt.name_like:
        query = query.where(contains_text(c.name, flt.name_like))
    if flt.start_time_after is not None:
        query = query.where(c.start_time >= flt.start_time_after.timestamp())
    if flt.start_time_before is not None:
        query = query.where(c.start_time <= flt.start_time_before.timestamp())
    if flt.expected_start_time_after is not None:
        query = query.where(c.expected_start_time >= flt.expected_start_time_after.timestamp())
    if flt.expected_start_time_before is not None:
        query = query.where(c.expected_start_time <= flt.expected_start_time_before.timestamp())
    if flt.deployment_ids is not None:
        query = query.where(c.deployment_id.in_(flt.deployment_ids))
    if flt.work_pool_ids is not None:
        query = query.where(c.work_pool_id.in_(flt.work_pool_ids))
    if flt.work_queue_ids is not None:
        query = query.where(c.work_queue_id.in_(flt.work_queue_ids))
    if flt.idempotency_keys is not None:
        query = query.where(c.idempotency_key.in_(flt.idempotency_keys))
    if flt.auto_scheduled is not None:
        query = query.where(c.auto_scheduled.is_(flt.auto_scheduled))
    return query


def read_flow_runs(
    conn: Connection,
    *,
    flow_run_filter: FlowRunFilter | None = None,
    sort: FlowRunSort | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[FlowRun]:
    return read_flow_runs_page(
        conn, flow_run_filter=flow_run_filter, sort=sort, limit=limit, offset=offset
    )[0]


def read_flow_runs_page(
    conn: Connection,
    *,
    flow_run_filter: FlowRunFilter | None = None,
    sort: FlowRunSort | None = None,
    limit: int = 200,
    offset: int = 0,
    cursor: str | None = None,
    due_by: float | None = None,
) -> tuple[list[FlowRun], str | None]:
    """One page of flow runs and the cursor of the next (None after the last page).

    ``cursor`` (from a previous page) and ``offset`` may be combined: the offset
    then counts from the cursor's position.  ``due_by``: only runs due by then
    (``due_by_clause``)."""
    sort_name = sort.value if sort is not None else "CREATED_DESC"
    keys = SORTS[sort_name]
    query = apply_flow_run_filter(_run_query(), flow_run_filter, conn.dialect.name)
    if due_by is not None:
        query = query.where(due_by_clause(due_by))
    if cursor is not None:
        query = query.where(after(keys, decode_cursor(cursor, sort_name, keys)))
    rows = conn.execute(query.order_by(*order_by(keys)).limit(limit).offset(offset)).all()
    next_cursor = cursor_for(sort_name, keys, rows[-1]) if rows and len(rows) == limit else None
    return [flow_run_schema(_row_to_dict(row)) for row in rows], next_cursor


def require_flow_runs(conn: Connection, *, flow_run_ids: set[UUID]) -> None:
    """``ObjectNotFound`` naming the first of ``flow_run_ids`` that is no flow run."""
    if not flow_run_ids:
        return
    query = select(flow_runs.c.id).where(flow_runs.c.id.in_(flow_run_ids))
    missing = flow_run_ids - set(conn.execute(query).scalars())
    if missing:
        raise ObjectNotFound(f"flow run {min(missing)} not found")


def due_by_clause(moment: float) -> Any:
    """Runs due by ``moment``, deliberately not served by an index (``+ 0``): nearly
    every run is due, so a range over the expected-start index would fetch almost
    every row by random access (10-60x slower than the scan in the page's own order,
    which only skips the few runs due later)."""
    return (flow_runs.c.expected_start_time + 0) <= moment


def count_flow_runs(
    conn: Connection,
    *,
    flow_run_filter: FlowRunFilter | None = None,
    cap: int | None = None,
    due_by: float | None = None,
) -> int:
    """How many runs match; with ``cap``, counting stops there (``cap + 1`` means
    "more than ``cap``"), so a broad filter costs a bounded scan."""
    if cap is not None:
        inner = apply_flow_run_filter(select(flow_runs.c.id), flow_run_filter, conn.dialect.name)
        if due_by is not None:
            inner = inner.where(due_by_clause(due_by))
        bounded = inner.limit(cap + 1).subquery()
        return int(conn.execute(select(func.count()).select_from(bounded)).scalar_one())
    query = select(func.count()).select_from(flow_runs)
    if due_by is not None:
        query = query.where(due_by_clause(due_by))
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


def read_flow_runs_by_ids(conn: Connection, *, flow_run_ids: list[UUID]) -> list[FlowRun]:
    """The runs with these ids, in the order given (missing ones left out)."""
    if not flow_run_ids:
        return []
    rows = conn.execute(_run_query().where(flow_runs.c.id.in_(flow_run_ids))).all()
    by_id = {UUID(str(row.id)): flow_run_schema(_row_to_dict(row)) for row in rows}
    return [by_id[i] for i in flow_run_ids if i in by_id]
