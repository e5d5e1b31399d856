"""``/api/logs``: bulk inserts from the batching writer, filtered reads in time order."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from headwater.schemas.ingest import LogRecords
from headwater.schemas.pages import LogCount, LogPage, LogQuery
from headwater.server.api.bodies import RawBody, RawJSONBody, referenced_runs
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import flow_runs, logs

LOG_RECORDS = RawJSONBody(
    LogRecords,
    "Log records (at most 5,000).",
)

router = APIRouter(prefix="/logs", tags=["Logs"])


@router.post(
    "/bulk",
    response_model=dict[str, int],
    responses={404: {"description": "A record names a flow run that does not exist"}},
    summary="Store log lines (idempotent by id)",
    openapi_extra=LOG_RECORDS.openapi_extra,
)
def create_logs(body: RawBody, db: DatabaseDep) -> Response:
    records: list[Any] = LOG_RECORDS.parse(body)
    with db.begin_write() as conn:
        flow_runs.require_flow_runs(conn, flow_run_ids=referenced_runs(records))
        logs.create_logs(conn, records=records)
    return json_response({"count": len(records)})


@router.post("/filter", response_model=LogPage, summary="Filter and page logs, oldest first")
def read_logs(db: DatabaseDep, body: LogQuery | None = None) -> Response:
    query = body or LogQuery()
    with db.begin_read() as conn:
        results, next_cursor = logs.read_logs_page(
            conn,
            log_filter=query.logs,
            limit=query.limit,
            offset=query.offset,
            cursor=query.cursor,
        )
    return model_response(LogPage(results=results, next_cursor=next_cursor))


@router.post("/count", response_model=int, summary="Count logs matching a filter")
def count_logs(db: DatabaseDep, body: LogCount | None = None) -> Response:
    flt = (body or LogCount()).logs
    with db.begin_read() as conn:
        return json_response(logs.count_logs(conn, log_filter=flt))
