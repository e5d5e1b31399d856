"""Task runs: bulk upserts from the batching writer, filtered reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, MetaData, Table, case, func, literal_column, select

from headwater.exceptions import ObjectNotFound
from headwater.schemas import records
from headwater.schemas.records import TaskRunRecord
from headwater.server.db.bulk import bulk_statement, conflict_clause, recordset_insert
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import task_runs
from headwater.server.db.text_match import contains_text
from headwater.server.events import bus, domain
from headwater.server.store import events
from headwater.server.store.pagination import (
    SortKey,
    after,
    cursor_for,
    decode_cursor,
    order_by,
)
from headwater.states import State, StateType

if TYPE_CHECKING:  # pydantic schemas are imported by the read functions only
    from headwater.schemas.filters import TaskRunFilter, TaskRunSort
    from headwater.schemas.task_runs import TaskRun


def store_task_run_events() -> bool:
    """Task-run events cost the hot path a row each: stored only when asked for
    (``HEADWATER_EVENTS_STORE_TASK_RUNS``); in-process subscribers (a server's
    automations) get them after commit either way."""
    from headwater.settings import get_settings

    return get_settings().events_store_task_runs


#: Columns of background task runs that only the task queue writes
#: (``server/store/task_queue.py``): the engine's records never carry them.
QUEUE_COLUMNS = ("parameters", "claimed_by", "claimable_at")
_UPDATABLE = [c.name for c in task_runs.c if c.name not in ("id", "created", *QUEUE_COLUMNS)]
# Literals, not parameters: the bulk statement binds only the record's columns.
_FINAL: list[Any] = [
    literal_column(f"'{t.value}'")
    for t in (StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED)
]
# The columns a record writes (an insert leaves the queue's columns NULL).
_record_columns = Table(
    "task_runs", MetaData(), *[c._copy() for c in task_runs.c if c.name not in QUEUE_COLUMNS]
)


def upsert_task_runs(conn: Connection, *, records: Sequence[TaskRunRecord]) -> None:
    """Insert or update task runs by id (``TaskRunRecord`` objects: the engine's, or
    ``TaskRunRecord.from_dict`` of the API's bodies).  An update never moves a row
    back in time: a record older than the stored one (``updated``) is ignored, so
    retried or reordered batches are harmless."""
    if not records:
        return

    def build() -> tuple[Any, Any]:
        stmt = insert_for(conn, task_runs)
        values: dict[str, Any] = {name: stmt.excluded[name] for name in _UPDATABLE}
        # A background run that ends leaves the task queue (and its partial index).
        values["claimable_at"] = case(
            (stmt.excluded.state_type.in_(_FINAL), None), else_=task_runs.c.claimable_at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_=values,
            where=stmt.excluded.updated >= task_runs.c.updated,
        )
        return _record_columns, stmt

    if conn.dialect.name == "postgresql":
        # One statement for the batch (psycopg's executemany runs one per row).
        statement = recordset_insert(
            conn, "upsert_task_runs", _record_columns, lambda: conflict_clause(conn, build()[1])
        )
        statement.execute(conn, [record.to_dict() for record in records])
    else:
        bulk_statement(conn, "upsert_task_runs", build, attributes=True).execute(conn, records)
    if store_task_run_events() or bus.has_subscribers():
        events.record_events(conn, domain.task_run_states(records), store=store_task_run_events())


def task_run_schema(data: dict[str, Any]) -> TaskRun:
    from headwater.schemas.task_runs import TaskRun

    data["state"] = State.from_dict(
        {
            "type": data["state_type"],
            "name": data["state_name"],
            "message": data["state_message"],
            "timestamp": data["state_timestamp"],
            "state_details": {
                "task_run_id": data["id"],
                "flow_run_id": data["flow_run_id"],
                "cache_key": data.get("cache_key"),
                "result_ref": data.get("result"),
            },
        }
    )
    data["transitions"] = [
        {"type": t[0], "name": t[1], "timestamp": t[2], "message": t[3] if len(t) > 3 else None}
        for t in data["transitions"] or plain_history(data)
    ]
    fields = {key: data[key] for key in TaskRun.model_fields if key in data}
    return TaskRun.model_validate(fields)


def plain_history(row: dict[str, Any]) -> list[list[Any]]:
    """The history a row with empty ``transitions`` stands for (see ``tables.task_runs``
    and ``records.plain_history``)."""
    return records.plain_history(
        row["created"],
        row["start_time"],
        row["state_type"],
        row["state_name"],
        row["state_timestamp"],
        row["state_message"],
    )


def read_task_run(conn: Connection, *, task_run_id: UUID) -> TaskRun:
    row = conn.execute(select(task_runs).where(task_runs.c.id == task_run_id)).first()
    if row is None:
        raise ObjectNotFound(f"task run {task_run_id} not found")
    return task_run_schema(dict(row._mapping))


_ID = SortKey(task_runs.c.id, kind=UUID)

#: Sort orders, each ending with the id so a keyset cursor names one position.
SORTS: dict[str, tuple[SortKey, ...]] = {
    "CREATED_ASC": (SortKey(task_runs.c.created), _ID),
    "CREATED_DESC": (SortKey(task_runs.c.created, descending=True), _ID),
    "START_TIME_ASC": (SortKey(task_runs.c.start_time, nullable=True), _ID),
    "END_TIME_DESC": (SortKey(task_runs.c.end_time, descending=True, nullable=True), _ID),
}


def _filtered(query: Any, flt: TaskRunFilter | None, dialect: str) -> Any:
    if flt is None:
        return query
    c = task_runs.c
    if flt.ids is not None:
        query = query.where(c.id.in_(flt.ids))
    if flt.id_prefix is not None:
        from headwater.schemas.filters import id_prefix_bounds

        query = query.where(c.id.between(*id_prefix_bounds(flt.id_prefix)))
    if flt.flow_run_ids is not None:
        query = query.where(c.flow_run_id.in_(flt.flow_run_ids))
    if flt.state_types is not None:
        query = query.where(c.state_type.in_([t.value for t in flt.state_types]))
    if flt.state_names is not None:
        query = query.where(c.state_name.in_(flt.state_names))
    if flt.task_keys is not None:
        query = query.where(c.task_key.in_(flt.task_keys))
    if flt.names is not None:
        query = query.where(c.name.in_(flt.names))
    if flt.name_like:
        query = query.where(contains_text(c.name, flt.name_like))
    if flt.start_time_after is not None:
        query = query.where(c.start_time >= flt.start_time_after.timestamp())
    if flt.start_time_before is not None:
        query = query.where(c.start_time <= flt.start_time_before.timestamp())
    if flt.tags_all:
        from headwater.server.db.dialect import json_array_contains

        for tag in flt.tags_all:
            query = query.where(json_array_contains(c.tags, tag, dialect))
    return query


def read_task_runs(
    conn: Connection,
    *,
    task_run_filter: TaskRunFilter | None = None,
    sort: TaskRunSort | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[TaskRun]:
    return read_task_runs_page(
        conn, task_run_filter=task_run_filter, sort=sort, limit=limit, offset=offset
    )[0]


def read_task_runs_page(
    conn: Connection,
    *,
    task_run_filter: TaskRunFilter | None = None,
    sort: TaskRunSort | None = None,
    limit: int = 200,
    offset: int = 0,
    cursor: str | None = None,
) -> tuple[list[TaskRun], str | None]:
    """One page of task runs and the cursor of the next (None after the last page)."""
    sort_name = sort.value if sort is not None else "CREATED_ASC"
    keys = SORTS[sort_name]
    query = _filtered(select(task_runs), task_run_filter, conn.dialect.name)
    if cursor is not None:
        query = query.where(after(keys, decode_cursor(cursor, sort_name, keys)))
    rows = conn.execute(query.order_by(*order_by(keys)).limit(limit).offset(offset)).all()
    next_cursor = cursor_for(sort_name, keys, rows[-1]) if rows and len(rows) == limit else None
    return [task_run_schema(dict(row._mapping)) for row in rows], next_cursor


def count_task_runs(conn: Connection, *, task_run_filter: TaskRunFilter | None = None) -> int:
    query = _filtered(
        select(func.count()).select_from(task_runs), task_run_filter, conn.dialect.name
    )
    return conn.execute(query).scalar_one()


def read_resume_map(
    conn: Connection, *, flow_run_id: UUID
) -> dict[tuple[str, str], dict[str, Any]]:
    """What earlier attempts of a flow run left per ``(task_key, dynamic_key)``: the
    newest attempt's state, result ref, cache key and (for a subflow) child run id."""
    c = task_runs.c
    rows = conn.execute(
        select(
            c.task_key,
            c.dynamic_key,
            c.state_type,
            c.result,
            c.cache_key,
            c.inputs,
            c.flow_run_attempt,
        )
        .where(c.flow_run_id == flow_run_id)
        .order_by(c.flow_run_attempt, c.updated)
    )
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        previous = out.get((row.task_key, row.dynamic_key))
        usable = row.state_type == StateType.COMPLETED and row.result
        if previous and previous["state_type"] == "COMPLETED" and previous["result"] and not usable:
            continue  # keep a usable result over a later unusable record
        child = (row.inputs or {}).get("__subflow_run__") or [None]
        out[(row.task_key, row.dynamic_key)] = {
            "state_type": row.state_type,
            "result": row.result,
            "cache_key": row.cache_key,
            "child_flow_run_id": child[0],
        }
    return out
