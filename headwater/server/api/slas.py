"""``/api/deployments/{id}/slas``: a deployment's SLAs (list, create or replace by name,
replace all, delete).  The SLA monitor of a running server looks again at once."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import Field

from headwater.schemas.slas import Sla, SlaCreate
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import slas

router = APIRouter(prefix="/deployments/{deployment_id}/slas", tags=["SLAs"])


def _changed(request: Request) -> None:
    running = getattr(request.app.state, "automations", None)
    if running is not None:
        running.slas_changed()


@router.get("", response_model=list[Sla], summary="List a deployment's SLAs")
def read_many(deployment_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return list_response(slas.read_slas(conn, deployment_id=deployment_id), Sla)


@router.post("", response_model=Sla, status_code=201, summary="Create (or replace by name)")
def create(deployment_id: UUID, body: SlaCreate, db: DatabaseDep, request: Request) -> Response:
    with db.begin_write() as conn:
        made = slas.create_sla(conn, deployment_id=deployment_id, sla=body)
    _changed(request)
    return model_response(made, status_code=201)


@router.put("", response_model=list[Sla], summary="Replace all of a deployment's SLAs")
def apply(
    deployment_id: UUID,
    body: Annotated[list[SlaCreate], Field(max_length=100)],
    db: DatabaseDep,
    request: Request,
) -> Response:
    with db.begin_write() as conn:
        slas.read_slas(conn, deployment_id=deployment_id)  # DeploymentNotFound
        found = slas.apply_slas(conn, deployment_id=deployment_id, wanted=body)
    _changed(request)
    return list_response(found, Sla)


@router.delete("/{sla_id}", status_code=204, summary="Delete an SLA")
def delete(deployment_id: UUID, sla_id: UUID, db: DatabaseDep, request: Request) -> Response:
    with db.begin_write() as conn:
        slas.delete_sla(conn, deployment_id=deployment_id, sla_id=sla_id)
    _changed(request)
    return Response(status_code=204)
