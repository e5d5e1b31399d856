"""``/api/task_runs``: bulk upserts from the batching writer, filtered reads."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import Field

from headwater.schemas.ingest import TaskRunRecords
from headwater.schemas.limits import MAX_BULK_RECORDS, MAX_NAME_CHARS
from headwater.schemas.pages import TaskRunCount, TaskRunPage, TaskRunQuery
from headwater.schemas.records import TaskRunRecord
from headwater.schemas.task_queue import TaskClaimRequest, TaskClaimResult, TaskRunSubmit
from headwater.schemas.task_runs import TaskRun
from headwater.server.api.bodies import RawBody, RawJSONBody, referenced_runs
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.polling import long_poll_tasks
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import flow_runs, task_queue, task_runs

TASK_RUN_RECORDS = RawJSONBody(
    TaskRunRecords,
    "Task-run records (at most 5,000): one per task run, carrying its state history.",
)

router = APIRouter(prefix="/task_runs", tags=["Task runs"])


@router.post(
    "/bulk",
    response_model=dict[str, int],
    responses={404: {"description": "A record names a flow run that does not exist"}},
    summary="Insert or update task runs by id",
    openapi_extra=TASK_RUN_RECORDS.openapi_extra,
)
def upsert_task_runs(body: RawBody, db: DatabaseDep) -> Response:
    """Idempotent: a record older than the stored one (by ``updated``) is ignored, so a
    retried or reordered batch is harmless."""
    parsed: list[Any] = TASK_RUN_RECORDS.parse(body)
    records = [TaskRunRecord.from_dict(record) for record in parsed]
    with db.begin_write() as conn:
        flow_runs.require_flow_runs(conn, flow_run_ids=referenced_runs(parsed))
        task_runs.upsert_task_runs(conn, records=records)
    return json_response({"count": len(records)})


@router.post(
    "/submit",
    status_code=204,
    summary="Submit task runs for task workers (Task.delay)",
    responses={422: {"description": "A run is not valid"}},
)
def submit_task_runs(
    body: Annotated[list[TaskRunSubmit], Field(max_length=MAX_BULK_RECORDS)], db: DatabaseDep
) -> Response:
    """Each run is Scheduled until a task worker serving its task key claims it;
    idempotent by id.  Waiting task workers are woken after the commit."""
    with db.begin_write() as conn:
        task_queue.submit_task_runs(conn, runs=body)
    return Response(status_code=204)


@router.post(
    "/claim",
    response_model=TaskClaimResult,
    summary="Claim submitted task runs for a task worker (long-poll)",
)
async def claim_task_runs(body: TaskClaimRequest, db: DatabaseDep) -> Response:
    """Due runs of ``task_keys`` move to Pending, each held by one worker; the claims
    of ``watched_ids`` are renewed.  Waits up to ``wait_seconds`` for a run."""
    return await long_poll_tasks(db, body)


@router.delete("/workers/{name}", status_code=204, summary="Forget a task worker that stopped")
def remove_task_worker(
    name: Annotated[str, Path(max_length=MAX_NAME_CHARS)], db: DatabaseDep
) -> Response:
    with db.begin_write() as conn:
        task_queue.forget_worker(conn, name=name)
    return Response(status_code=204)


@router.post("/filter", response_model=TaskRunPage, summary="Filter, sort and page task runs")
def read_task_runs(db: DatabaseDep, body: TaskRunQuery | None = None) -> Response:
    query = body or TaskRunQuery()
    with db.begin_read() as conn:
        results, next_cursor = task_runs.read_task_runs_page(
            conn,
            task_run_filter=query.task_runs,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
            cursor=query.cursor,
        )
    return model_response(TaskRunPage(results=results, next_cursor=next_cursor))


@router.post("/count", response_model=int, summary="Count task runs matching a filter")
def count_task_runs(db: DatabaseDep, body: TaskRunCount | None = None) -> Response:
    flt = (body or TaskRunCount()).task_runs
    with db.begin_read() as conn:
        return json_response(task_runs.count_task_runs(conn, task_run_filter=flt))


@router.get(
    "/{task_run_id}",
    response_model=TaskRun,
    responses={404: {"description": "No such task run"}},
    summary="Read a task run",
)
def read_task_run(task_run_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(task_runs.read_task_run(conn, task_run_id=task_run_id))
