"""``/api/saved_filters``: named views of a UI list (the flow-runs page's "Saved
filters"), kept in the store so every browser sees them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from headwater.schemas.saved_filters import SavedFilterCreate, SavedFilterRead
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import saved_filters

router = APIRouter(prefix="/saved_filters", tags=["Saved filters"])


@router.post(
    "",
    response_model=SavedFilterRead,
    status_code=201,
    responses={409: {"description": "The page has a saved filter of that name"}},
    summary="Save a filter",
)
def create_saved_filter(body: SavedFilterCreate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        saved = saved_filters.create_saved_filter(conn, saved=body)
    return model_response(saved, status_code=201)


@router.get("", response_model=list[SavedFilterRead], summary="List saved filters")
def read_saved_filters(
    db: DatabaseDep,
    page: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    with db.begin_read() as conn:
        found = saved_filters.read_saved_filters(conn, page=page)
    return json_response([f.model_dump(mode="json") for f in found])


@router.get(
    "/{filter_id}",
    response_model=SavedFilterRead,
    responses={404: {"description": "No such saved filter"}},
    summary="Read a saved filter",
)
def read_saved_filter(filter_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = saved_filters.read_saved_filter(conn, filter_id=filter_id)
    if found is None:
        return json_response({"detail": f"saved filter {filter_id} not found"}, 404)
    return model_response(found)


@router.delete("/{filter_id}", response_model=dict[str, bool], summary="Delete a saved filter")
def delete_saved_filter(filter_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = saved_filters.delete_saved_filter(conn, filter_id=filter_id)
    return json_response({"deleted": deleted})
