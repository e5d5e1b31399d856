"""``/api/variables``: named JSON values shared by flows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.schemas.limits import Offset
from headwater.schemas.variables import VariableCreate, VariableRead
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import variables

router = APIRouter(prefix="/variables", tags=["Variables"])

Name = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[a-z0-9_-]+$")]


class VariableQuery(Schema):
    tag: str | None = Field(default=None, max_length=255)
    limit: int = Field(default=200, ge=1, le=1000)
    offset: Offset = 0


@router.post(
    "",
    response_model=VariableRead,
    responses={409: {"description": "The variable exists and overwrite is false"}},
    summary="Set a variable",
)
def set_variable(body: VariableCreate, db: DatabaseDep, overwrite: bool = Query(False)) -> Response:
    with db.begin_write() as conn:
        stored = variables.set_variable(conn, variable=body, overwrite=overwrite)
    return model_response(stored)


@router.post("/filter", response_model=list[VariableRead], summary="List variables")
def read_variables(db: DatabaseDep, body: VariableQuery | None = None) -> Response:
    query = body or VariableQuery()
    with db.begin_read() as conn:
        found = variables.read_variables(
            conn, tag=query.tag, limit=query.limit, offset=query.offset
        )
    return json_response([v.model_dump(mode="json") for v in found])


@router.get(
    "/{name}",
    response_model=VariableRead,
    responses={404: {"description": "No such variable"}},
    summary="Read a variable",
)
def read_variable(name: Name, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = variables.read_variable(conn, name=name)
    if found is None:
        return json_response({"detail": f"variable {name!r} not found"}, 404)
    return model_response(found)


@router.delete("/{name}", response_model=dict[str, bool], summary="Delete a variable")
def delete_variable(name: Name, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = variables.delete_variable(conn, name=name)
    return json_response({"deleted": deleted})
