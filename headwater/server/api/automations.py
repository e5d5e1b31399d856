"""``/api/automations``: create, read, change, enable/disable and delete automations
(Prefect 3's routes)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from headwater.schemas.automations import (
    AutomationCore,
    AutomationFilter,
    AutomationPatch,
    AutomationRead,
)
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import automations

router = APIRouter(prefix="/automations", tags=["Automations"])


def _changed(request: Request) -> None:
    running = getattr(request.app.state, "automations", None)
    if running is not None:
        running.changed()


@router.post("/", response_model=AutomationRead, status_code=201, summary="Create an automation")
def create(body: AutomationCore, db: DatabaseDep, request: Request) -> Response:
    with db.begin_write() as conn:
        made = automations.create_automation(conn, automation=body)
    _changed(request)
    return model_response(made, status_code=201)


@router.post("/filter", response_model=list[AutomationRead], summary="List automations")
def read_many(db: DatabaseDep, body: AutomationFilter | None = None) -> Response:
    flt = body or AutomationFilter()
    with db.begin_read() as conn:
        found = automations.read_automations(
            conn, name=flt.name, limit=flt.limit, offset=flt.offset
        )
    return list_response(found, AutomationRead)


@router.get("/{automation_id}", response_model=AutomationRead, summary="Read an automation")
def read_one(automation_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(automations.read_automation(conn, automation_id=automation_id))


@router.put("/{automation_id}", response_model=AutomationRead, summary="Replace an automation")
def replace(
    automation_id: UUID, body: AutomationCore, db: DatabaseDep, request: Request
) -> Response:
    with db.begin_write() as conn:
        changed = automations.update_automation(conn, automation_id=automation_id, automation=body)
    _changed(request)
    return model_response(changed)


@router.patch("/{automation_id}", response_model=AutomationRead, summary="Enable or disable")
def patch(
    automation_id: UUID, body: AutomationPatch, db: DatabaseDep, request: Request
) -> Response:
    with db.begin_write() as conn:
        changed = automations.set_enabled(conn, automation_id=automation_id, enabled=body.enabled)
    _changed(request)
    return model_response(changed)


@router.delete("/{automation_id}", status_code=204, summary="Delete an automation")
def delete(automation_id: UUID, db: DatabaseDep, request: Request) -> Response:
    with db.begin_write() as conn:
        automations.delete_automation(conn, automation_id=automation_id)
    _changed(request)
    return Response(status_code=204)
