"""``/api/work_pools``: pools, their queues, workers, and claiming runs (long-poll)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from headwater.schemas.base import Schema
from headwater.schemas.limits import Offset, PageSize
from headwater.schemas.work_pools import (
    ClaimRequest,
    ClaimResult,
    Worker,
    WorkerHeartbeat,
    WorkPool,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueue,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.polling import long_poll
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import work_pools

router = APIRouter(prefix="/work_pools", tags=["Work pools"])

PoolName = Annotated[str, Path(min_length=1, max_length=200)]
QueueName = Annotated[str, Path(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such pool or queue"}}


class WorkPoolQuery(Schema):
    limit: PageSize = 200
    offset: Offset = 0


@router.post(
    "",
    response_model=WorkPool,
    status_code=201,
    responses={409: {"description": "A pool with this name exists"}},
    summary="Create a work pool (with its 'default' queue)",
)
def create_work_pool(body: WorkPoolCreate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(work_pools.create_work_pool(conn, pool=body), 201)


@router.post("/filter", response_model=list[WorkPool], summary="List work pools")
def read_work_pools(db: DatabaseDep, body: WorkPoolQuery | None = None) -> Response:
    query = body or WorkPoolQuery()
    with db.begin_read() as conn:
        found = work_pools.read_work_pools(conn, limit=query.limit, offset=query.offset)
    return list_response(found, WorkPool)


@router.get("/{name}", response_model=WorkPool, responses=NOT_FOUND, summary="Read a work pool")
def read_work_pool(name: PoolName, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(work_pools.read_work_pool(conn, name=name))


@router.patch("/{name}", response_model=WorkPool, responses=NOT_FOUND, summary="Change a pool")
def update_work_pool(name: PoolName, body: WorkPoolUpdate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(work_pools.update_work_pool(conn, name=name, changes=body))


@router.post("/{name}/pause", response_model=WorkPool, responses=NOT_FOUND, summary="Pause")
def pause_work_pool(name: PoolName, db: DatabaseDep) -> Response:
    """A paused pool's workers claim nothing (runs wait, Scheduled)."""
    with db.begin_write() as conn:
        changes = WorkPoolUpdate(paused=True)
        return model_response(work_pools.update_work_pool(conn, name=name, changes=changes))


@router.post("/{name}/resume", response_model=WorkPool, responses=NOT_FOUND, summary="Resume")
def resume_work_pool(name: PoolName, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        changes = WorkPoolUpdate(paused=False)
        return model_response(work_pools.update_work_pool(conn, name=name, changes=changes))


@router.delete("/{name}", status_code=204, responses=NOT_FOUND, summary="Delete a pool")
def delete_work_pool(name: PoolName, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        work_pools.delete_work_pool(conn, name=name)
    return Response(status_code=204)


# -- queues -----------------------------------------------------------------------------
@router.post(
    "/{name}/queues",
    response_model=WorkQueue,
    status_code=201,
    responses={**NOT_FOUND, 409: {"description": "The queue exists"}},
    summary="Create a queue in a pool",
)
def create_work_queue(name: PoolName, body: WorkQueueCreate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        queue = work_pools.create_work_queue(conn, pool_name=name, queue=body)
    return model_response(queue, 201)


@router.get(
    "/{name}/queues", response_model=list[WorkQueue], responses=NOT_FOUND, summary="List queues"
)
def read_work_queues(name: PoolName, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return list_response(work_pools.read_work_queues(conn, pool_name=name), WorkQueue)


@router.get("/{name}/queues/{queue}", response_model=WorkQueue, responses=NOT_FOUND, summary="Read")
def read_work_queue(name: PoolName, queue: QueueName, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(work_pools.read_work_queue(conn, pool_name=name, name=queue))


@router.patch(
    "/{name}/queues/{queue}",
    response_model=WorkQueue,
    responses=NOT_FOUND,
    summary="Change a queue (priority, concurrency limit, paused)",
)
def update_work_queue(
    name: PoolName, queue: QueueName, body: WorkQueueUpdate, db: DatabaseDep
) -> Response:
    with db.begin_write() as conn:
        found = work_pools.update_work_queue(conn, pool_name=name, name=queue, changes=body)
    return model_response(found)


@router.delete(
    "/{name}/queues/{queue}", status_code=204, responses=NOT_FOUND, summary="Delete a queue"
)
def delete_work_queue(name: PoolName, queue: QueueName, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        work_pools.delete_work_queue(conn, pool_name=name, name=queue)
    return Response(status_code=204)


# -- workers and claims -----------------------------------------------------------------
@router.get(
    "/{name}/workers",
    response_model=list[Worker],
    responses=NOT_FOUND,
    summary="Workers of a pool, with their last heartbeat and whether they are online",
)
def read_workers(name: PoolName, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return list_response(work_pools.read_workers(conn, pool_name=name), Worker)


@router.post(
    "/{name}/workers/heartbeat",
    status_code=204,
    responses=NOT_FOUND,
    summary="A worker says it is alive",
)
def worker_heartbeat(name: PoolName, body: WorkerHeartbeat, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        pool_id = work_pools.pool_id_by_name(conn, name)
        work_pools.worker_heartbeat(
            conn,
            pool_id=pool_id,
            name=body.name,
            hostname=body.hostname,
            pid=body.pid,
            heartbeat_seconds=body.heartbeat_seconds,
        )
    return Response(status_code=204)


@router.post(
    "/{name}/get_scheduled_flow_runs",
    response_model=ClaimResult,
    responses=NOT_FOUND,
    summary="Claim due runs of the pool's queues (long-poll; counts as a heartbeat)",
)
async def claim_flow_runs(name: PoolName, body: ClaimRequest, db: DatabaseDep) -> Response:
    """Due runs (queues by priority, then soonest first) move to Pending and belong to
    ``worker_name``; queue, pool and deployment concurrency limits are respected.
    With ``wait_seconds`` the request waits until a run is due or a watched run is
    asked to cancel."""
    return await long_poll(db, body, pool_name=name)
