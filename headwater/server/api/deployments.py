"""``/api/deployments``: apply, read, pause, run, and serve deployments.

A deployment's runs are read with ``POST /api/flow_runs/filter`` and
``{"flow_runs": {"deployment_ids": [ID]}}``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from headwater.schemas.deployments import (
    Deployment,
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentQuery,
    DeploymentUpdate,
    ScheduleCreate,
    ScheduleUpdate,
)
from headwater.schemas.flow_runs import FlowRun
from headwater.schemas.work_pools import ClaimRequest, ClaimResult
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.polling import long_poll
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import deployment_runs, deployment_schedules, deployments, flow_runs

router = APIRouter(prefix="/deployments", tags=["Deployments"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such deployment"}}


@router.post(
    "",
    response_model=Deployment,
    status_code=201,
    responses={
        200: {"description": "The deployment existed and was updated (or left unchanged)"},
        404: {"description": "The work pool does not exist"},
        422: {"description": "Invalid field, schedule (cron/rrule/timezone) or pull step"},
    },
    summary="Create or update a deployment (idempotent)",
)
def apply_deployment(body: DeploymentCreate, db: DatabaseDep) -> Response:
    """Applying the same definition again changes nothing; its scheduled runs stay."""
    with db.begin_write() as conn:
        found, created = deployments.apply_deployment(conn, deployment=body)
    return model_response(found, 201 if created else 200)


@router.post("/filter", response_model=list[Deployment], summary="List and filter deployments")
def read_deployments(db: DatabaseDep, body: DeploymentQuery | None = None) -> Response:
    query = body or DeploymentQuery()
    with db.begin_read() as conn:
        found = deployments.read_deployments(
            conn, deployment_filter=query.deployments, limit=query.limit, offset=query.offset
        )
    return list_response(found, Deployment)


@router.get(
    "/name/{flow_name}/{deployment_name}",
    response_model=Deployment,
    responses=NOT_FOUND,
    summary="Read a deployment by flow-name/deployment-name",
)
def read_deployment_by_name(flow_name: str, deployment_name: str, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = deployments.read_deployment_by_name(
            conn, full_name=f"{flow_name}/{deployment_name}"
        )
    return model_response(found)


@router.get("/{deployment_id}", response_model=Deployment, responses=NOT_FOUND, summary="Read")
def read_deployment(deployment_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(deployments.read_deployment(conn, deployment_id=deployment_id))


@router.patch(
    "/{deployment_id}", response_model=Deployment, responses=NOT_FOUND, summary="Change fields"
)
def update_deployment(deployment_id: UUID, body: DeploymentUpdate, db: DatabaseDep) -> Response:
    """Pausing removes its runs that have not started; resuming schedules from now on."""
    with db.begin_write() as conn:
        found = deployments.update_deployment(conn, deployment_id=deployment_id, changes=body)
    return model_response(found)


@router.post(
    "/{deployment_id}/pause", response_model=Deployment, responses=NOT_FOUND, summary="Pause"
)
def pause_deployment(deployment_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        found = deployments.update_deployment(
            conn, deployment_id=deployment_id, changes=DeploymentUpdate(paused=True)
        )
    return model_response(found)


@router.post(
    "/{deployment_id}/resume", response_model=Deployment, responses=NOT_FOUND, summary="Resume"
)
def resume_deployment(deployment_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        found = deployments.update_deployment(
            conn, deployment_id=deployment_id, changes=DeploymentUpdate(paused=False)
        )
    return model_response(found)


@router.patch(
    "/{deployment_id}/schedules/{schedule_id}",
    response_model=Deployment,
    responses=NOT_FOUND,
    summary="Switch a schedule on/off or change its parameters",
)
def update_schedule(
    deployment_id: UUID, schedule_id: UUID, body: ScheduleUpdate, db: DatabaseDep
) -> Response:
    """Either change removes the schedule's runs that have not started."""
    with db.begin_write() as conn:
        found = deployments.update_schedule(
            conn, deployment_id=deployment_id, schedule_id=schedule_id, changes=body
        )
    return model_response(found)


@router.post(
    "/{deployment_id}/schedules",
    response_model=Deployment,
    status_code=201,
    responses={**NOT_FOUND, 409: {"description": "A schedule with this timing exists"}},
    summary="Add a schedule",
)
def add_schedule(deployment_id: UUID, body: ScheduleCreate, db: DatabaseDep) -> Response:
    """Exactly one of cron, interval or rrule; re-applying the deployment's definition
    sets its schedules to the definition's again."""
    with db.begin_write() as conn:
        found = deployment_schedules.add_schedule(conn, deployment_id=deployment_id, schedule=body)
    return model_response(found, status_code=201)


@router.put(
    "/{deployment_id}/schedules/{schedule_id}",
    response_model=Deployment,
    responses=NOT_FOUND,
    summary="Replace a schedule's timing",
)
def replace_schedule(
    deployment_id: UUID, schedule_id: UUID, body: ScheduleCreate, db: DatabaseDep
) -> Response:
    """The schedule's unstarted runs are removed; a new timing gets a new schedule id."""
    with db.begin_write() as conn:
        found = deployment_schedules.replace_schedule(
            conn, deployment_id=deployment_id, schedule_id=schedule_id, schedule=body
        )
    return model_response(found)


@router.delete(
    "/{deployment_id}/schedules/{schedule_id}",
    response_model=Deployment,
    responses=NOT_FOUND,
    summary="Delete a schedule",
)
def delete_schedule(deployment_id: UUID, schedule_id: UUID, db: DatabaseDep) -> Response:
    """With its runs that have not started."""
    with db.begin_write() as conn:
        found = deployment_schedules.delete_schedule(
            conn, deployment_id=deployment_id, schedule_id=schedule_id
        )
    return model_response(found)


@router.delete("/{deployment_id}", status_code=204, responses=NOT_FOUND, summary="Delete")
def delete_deployment(deployment_id: UUID, db: DatabaseDep) -> Response:
    """Delete a deployment with its schedules and unstarted runs (past runs stay)."""
    with db.begin_write() as conn:
        deployments.delete_deployment(conn, deployment_id=deployment_id)
    return Response(status_code=204)


@router.post(
    "/{deployment_id}/create_flow_run",
    response_model=FlowRun,
    status_code=201,
    responses={
        200: {"description": "A run with this idempotency key existed"},
        404: {"description": "No such deployment"},
        422: {
            "description": "A parameter does not fit the flow's signature: `errors` names "
            "each one (loc = [body, parameters, NAME, ...])"
        },
    },
    summary="Run a deployment (parameters validated against its schema)",
)
def create_flow_run(
    deployment_id: UUID, body: DeploymentFlowRunCreate, db: DatabaseDep
) -> Response:
    with db.begin_write() as conn:
        created = deployment_runs.create_deployment_flow_run(
            conn, deployment_id=deployment_id, run=body
        )
    return model_response(
        flow_runs.flow_run_schema(created), 201 if created["was_created"] else 200
    )


@router.post(
    "/get_scheduled_flow_runs",
    response_model=ClaimResult,
    summary="Serve processes: claim due runs of their deployments (long-poll)",
)
async def claim_flow_runs(body: ClaimRequest, db: DatabaseDep) -> Response:
    """Due runs of ``deployment_ids`` move to Pending and belong to the caller; with
    ``wait_seconds`` the request waits until one is due (or a watched run is asked to
    cancel).  Only deployments without a work pool are served this way."""
    return await long_poll(db, body, pool_name=None)
