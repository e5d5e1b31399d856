"""``/api/flows``: the named templates whose runs are flow runs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from headwater.exceptions import ObjectNotFound
from headwater.schemas.actions import FlowCreate
from headwater.schemas.flows import Flow
from headwater.schemas.pages import FlowQuery
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import flows

router = APIRouter(prefix="/flows", tags=["Flows"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such flow"}}


@router.post("", response_model=Flow, status_code=201, summary="Create a flow (or get it)")
def create_flow(body: FlowCreate, db: DatabaseDep) -> Response:
    """Flows are unique by name: creating an existing one answers 200 with it."""
    with db.begin_write() as conn:
        existing = flows.read_flow_by_name(conn, name=body.name)
        if existing is not None:
            return model_response(existing)
        flow_id = flows.ensure_flow(conn, name=body.name)
        flow = flows.read_flow(conn, flow_id=flow_id)
    return model_response(flow, 201)


@router.post("/filter", response_model=list[Flow], summary="List flows by name")
def read_flows(db: DatabaseDep, body: FlowQuery | None = None) -> Response:
    query = body or FlowQuery()
    with db.begin_read() as conn:
        found = flows.read_flows(
            conn, name_like=query.name_like, limit=query.limit, offset=query.offset
        )
    return list_response(found, Flow)


@router.get("/name/{name}", response_model=Flow, responses=NOT_FOUND, summary="Read by name")
def read_flow_by_name(name: str, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        flow = flows.read_flow_by_name(conn, name=name)
    if flow is None:
        raise ObjectNotFound(f"flow {name!r} not found")
    return model_response(flow)


@router.get("/{flow_id}", response_model=Flow, responses=NOT_FOUND, summary="Read a flow")
def read_flow(flow_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(flows.read_flow(conn, flow_id=flow_id))


@router.delete("/{flow_id}", status_code=204, responses=NOT_FOUND, summary="Delete with its runs")
def delete_flow(flow_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        flows.delete_flow(conn, flow_id=flow_id)
    return Response(status_code=204)
