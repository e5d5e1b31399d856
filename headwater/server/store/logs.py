"""Run logs: bulk inserts (idempotent by id) and filtered reads in time order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from headwater.schemas.records import LogRecord
from headwater.server.db.bulk import bulk_statement, recordset_insert
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import logs
from headwater.server.db.text_match import contains_text
from headwater.server.store.pagination import (
    SortKey,
    after,
    cursor_for,
    decode_cursor,
    order_by,
)

if TYPE_CHECKING:  # pydantic schemas are imported by the read functions only
    from headwater.schemas.filters import LogFilter
    from headwater.schemas.logs import Log


def create_logs(conn: Connection, *, records: Sequence[LogRecord]) -> None:
    if not records:
        return
    if conn.dialect.name == "postgresql":
        # One statement for the batch (psycopg's executemany runs one per row).
        recordset_insert(conn, "create_logs", logs, "ON CONFLICT (id) DO NOTHING").execute(
            conn, records
        )
        return

    def build() -> tuple[Any, Any]:
        return logs, insert_for(conn, logs).on_conflict_do_nothing(index_elements=["id"])

    bulk_statement(conn, "create_logs", build).execute(conn, records)


_ORDER = (SortKey(logs.c.timestamp), SortKey(logs.c.id, kind=UUID))
_SORT_NAME = "TIMESTAMP_ASC"


def read_logs(
    conn: Connection,
    *,
    log_filter: LogFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Log]:
    return read_logs_page(conn, log_filter=log_filter, limit=limit, offset=offset)[0]


def read_logs_page(
    conn: Connection,
    *,
    log_filter: LogFilter | None = None,
    limit: int = 200,
    offset: int = 0,
    cursor: str | None = None,
) -> tuple[list[Log], str | None]:
    """One page of logs, oldest first, and the cursor of the next page."""
    from headwater.schemas.logs import Log

    query = _filtered(select(logs), log_filter)
    if cursor is not None:
        query = query.where(after(_ORDER, decode_cursor(cursor, _SORT_NAME, _ORDER)))
    rows = conn.execute(query.order_by(*order_by(_ORDER)).limit(limit).offset(offset)).all()
    next_cursor = cursor_for(_SORT_NAME, _ORDER, rows[-1]) if rows and len(rows) == limit else None
    return [Log.model_validate(dict(row._mapping)) for row in rows], next_cursor


def count_logs(conn: Connection, *, log_filter: LogFilter | None = None) -> int:
    return conn.execute(_filtered(select(func.count()).select_from(logs), log_filter)).scalar_one()


def _filtered(query: Any, flt: LogFilter | None) -> Any:
    if flt is None:
        return query
    c = logs.c
    if flt.flow_run_id is not None:
        query = query.where(c.flow_run_id == flt.flow_run_id)
    if flt.flow_run_ids is not None:
        query = query.where(c.flow_run_id.in_(flt.flow_run_ids))
    if flt.task_run_id is not None:
        query = query.where(c.task_run_id == flt.task_run_id)
    if flt.task_run_ids is not None:
        query = query.where(c.task_run_id.in_(flt.task_run_ids))
    if flt.task_run_is_null is not None:
        column = c.task_run_id
        query = query.where(column.is_(None) if flt.task_run_is_null else column.is_not(None))
    if flt.level_ge is not None:
        query = query.where(c.level >= flt.level_ge)
    if flt.level_le is not None:
        query = query.where(c.level <= flt.level_le)
    if flt.timestamp_after is not None:
        query = query.where(c.timestamp > flt.timestamp_after.timestamp())
    if flt.timestamp_before is not None:
        query = query.where(c.timestamp <= flt.timestamp_before.timestamp())
    if flt.text:
        query = query.where(contains_text(c.message, flt.text))
    return query
