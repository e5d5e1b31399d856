"""Run logs: bulk inserts (idempotent by id) and filtered reads in time order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from headwater.schemas.records import LogRecord
from headwater.server.db.bulk import bulk_statement
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import logs

if TYPE_CHECKING:  # pydantic schemas are imported by the read functions only
    from headwater.schemas.filters import LogFilter
    from headwater.schemas.logs import Log


def create_logs(conn: Connection, *, records: Sequence[LogRecord]) -> None:
    if not records:
        return

    def build() -> tuple[Any, Any]:
        return logs, insert_for(conn, logs).on_conflict_do_nothing(index_elements=["id"])

    bulk_statement(conn, "create_logs", build).execute(conn, records)  # type: ignore[arg-type]


def read_logs(
    conn: Connection,
    *,
    log_filter: LogFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Log]:
    from headwater.schemas.filters import LogFilter
    from headwater.schemas.logs import Log

    query = select(logs)
    flt = log_filter or LogFilter()
    c = logs.c
    if flt.flow_run_id is not None:
        query = query.where(c.flow_run_id == flt.flow_run_id)
    if flt.task_run_id is not None:
        query = query.where(c.task_run_id == flt.task_run_id)
    if flt.level_ge is not None:
        query = query.where(c.level >= flt.level_ge)
    if flt.timestamp_after is not None:
        query = query.where(c.timestamp > flt.timestamp_after.timestamp())
    if flt.timestamp_before is not None:
        query = query.where(c.timestamp <= flt.timestamp_before.timestamp())
    if flt.text:
        query = query.where(c.message.ilike(f"%{flt.text}%"))
    query = query.order_by(c.timestamp, c.id).limit(limit).offset(offset)
    return [Log.model_validate(dict(row._mapping)) for row in conn.execute(query)]
