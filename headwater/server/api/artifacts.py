"""``/api/artifacts``: bulk writes from the batching writer, filtered reads, the latest
version of a key, deletes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import Field

from headwater.schemas.artifacts import Artifact, ArtifactFilter, ArtifactRecords
from headwater.schemas.base import Schema
from headwater.schemas.limits import Offset
from headwater.server.api.bodies import RawBody, RawJSONBody
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, list_response, model_response
from headwater.server.store import artifacts

ARTIFACT_RECORDS = RawJSONBody(ArtifactRecords, "Artifact records (at most 5,000).")

router = APIRouter(prefix="/artifacts", tags=["Artifacts"])

Key = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[a-z0-9-]+$")]


class ArtifactQuery(Schema):
    artifacts: ArtifactFilter | None = None
    limit: int = Field(default=200, ge=1, le=1000)
    offset: Offset = 0
    #: False leaves each artifact's ``data`` out (listings).
    with_data: bool = True


@router.post(
    "/bulk",
    response_model=dict[str, int],
    summary="Store artifacts and progress updates (idempotent by id)",
    openapi_extra=ARTIFACT_RECORDS.openapi_extra,
)
def write_artifacts(body: RawBody, db: DatabaseDep) -> Response:
    records: list[Any] = ARTIFACT_RECORDS.parse(body)
    with db.begin_write() as conn:
        artifacts.write_artifacts(conn, records=records)
    return json_response({"count": len(records)})


@router.post("/filter", response_model=list[Artifact], summary="Filter artifacts, newest first")
def read_artifacts(db: DatabaseDep, body: ArtifactQuery | None = None) -> Response:
    query = body or ArtifactQuery()
    with db.begin_read() as conn:
        found = artifacts.read_artifacts(
            conn,
            artifact_filter=query.artifacts,
            limit=query.limit,
            offset=query.offset,
            with_data=query.with_data,
        )
    return list_response(found, Artifact)


@router.post("/count", response_model=int, summary="Count artifacts matching a filter")
def count_artifacts(db: DatabaseDep, body: ArtifactFilter | None = None) -> Response:
    with db.begin_read() as conn:
        return json_response(artifacts.count_artifacts(conn, artifact_filter=body))


@router.get(
    "/latest/{key}",
    response_model=Artifact,
    responses={404: {"description": "No artifact has this key"}},
    summary="The latest version of a keyed artifact",
)
def read_latest_artifact(key: Key, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = artifacts.read_latest_artifact(conn, key=key)
    if found is None:
        return json_response({"detail": f"no artifact has the key {key!r}"}, 404)
    return model_response(found)


@router.get(
    "/{artifact_id}",
    response_model=Artifact,
    responses={404: {"description": "No such artifact"}},
    summary="Read an artifact",
)
def read_artifact(artifact_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = artifacts.read_artifact(conn, artifact_id=artifact_id)
    if found is None:
        return json_response({"detail": f"artifact {artifact_id} not found"}, 404)
    return model_response(found)


@router.delete("/key/{key}", response_model=dict[str, int], summary="Delete every version of a key")
def delete_artifacts_by_key(key: Key, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = artifacts.delete_artifacts_by_key(conn, key=key)
    return json_response({"deleted": deleted})


@router.delete("/{artifact_id}", response_model=dict[str, int], summary="Delete an artifact")
def delete_artifact(artifact_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = artifacts.delete_artifact(conn, artifact_id=artifact_id)
    return json_response({"deleted": int(deleted)})
