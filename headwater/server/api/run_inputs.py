"""``/api/flow_runs/{id}/resume`` and ``/api/flow_runs/{id}/input``: resuming a paused
run (with the input it waits for, checked field by field) and the inputs runs keep."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.schemas.flow_runs import SetStateResult
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response
from headwater.server.store import run_inputs

router = APIRouter(prefix="/flow_runs", tags=["Flow runs"])

Key = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]


class ResumeBody(Schema):
    run_input: dict[str, Any] | None = None


class InputBody(Schema):
    key: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    value: Any = None
    sender: str | None = Field(default=None, max_length=255)


@router.post(
    "/{flow_run_id}/resume",
    response_model=SetStateResult,
    responses={
        404: {"description": "No such flow run"},
        422: {"description": "Not paused, or input that does not fit (per field)"},
    },
    summary="Resume a paused flow run, with the input it waits for",
)
def resume_flow_run(flow_run_id: UUID, db: DatabaseDep, body: ResumeBody | None = None) -> Response:
    with db.begin_write() as conn:
        result = run_inputs.resume_flow_run(
            conn, flow_run_id=flow_run_id, run_input=(body or ResumeBody()).run_input
        )
    return json_response(result.to_dict())


@router.get(
    "/{flow_run_id}/pause",
    response_model=dict[str, Any],
    summary="Why a run is paused: its pause key and the input schema it waits for",
)
def read_pause(flow_run_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return json_response(run_inputs.pause_details(conn, flow_run_id=flow_run_id))


@router.post(
    "/{flow_run_id}/input",
    status_code=201,
    response_model=dict[str, str],
    responses={409: {"description": "The key is taken"}},
    summary="Store an input for a flow run",
)
def create_flow_run_input(flow_run_id: UUID, body: InputBody, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        run_inputs.create_flow_run_input(
            conn, flow_run_id=flow_run_id, key=body.key, value=body.value, sender=body.sender
        )
    return json_response({"key": body.key}, 201)


@router.get(
    "/{flow_run_id}/inputs",
    response_model=list[dict[str, Any]],
    summary="A flow run's inputs keyed {key_prefix}-..., in key order",
)
def read_flow_run_inputs(
    flow_run_id: UUID,
    db: DatabaseDep,
    key_prefix: str = Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$"),
) -> Response:
    with db.begin_read() as conn:
        found = run_inputs.read_flow_run_inputs(
            conn, flow_run_id=flow_run_id, key_prefix=key_prefix
        )
    return json_response([{"key": key, "value": value} for key, value in found])


@router.get(
    "/{flow_run_id}/input/{key}",
    response_model=dict[str, Any],
    responses={404: {"description": "No such input"}},
    summary="Read a flow run's input by key",
)
def read_flow_run_input(flow_run_id: UUID, key: Key, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        value = run_inputs.read_flow_run_input(conn, flow_run_id=flow_run_id, key=key)
        if value is None:
            found = run_inputs.has_flow_run_input(conn, flow_run_id=flow_run_id, key=key)
            if not found:
                return json_response({"detail": f"flow run input {key!r} not found"}, 404)
    return json_response({"value": value})


@router.delete(
    "/{flow_run_id}/input/{key}", response_model=dict[str, bool], summary="Delete an input"
)
def delete_flow_run_input(flow_run_id: UUID, key: Key, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = run_inputs.delete_flow_run_input(conn, flow_run_id=flow_run_id, key=key)
    return json_response({"deleted": deleted})
