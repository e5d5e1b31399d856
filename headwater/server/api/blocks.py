"""``/api/block_types`` and ``/api/block_documents``: blocks through the server.

Secrets are encrypted and decrypted here, with the server's key (clients never see
it); reads mask secret fields unless ``include_secrets`` is asked for.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.schemas.blocks import (
    BlockDocument,
    BlockDocumentCreate,
    BlockSchemaCreate,
    BlockType,
    BlockTypeCreate,
)
from headwater.schemas.limits import Offset
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.store import blocks

router = APIRouter(tags=["Blocks"])

Slug = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Name = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[a-z0-9_-]+$")]


class BlockTypeRegistration(Schema):
    block_type: BlockTypeCreate
    block_schema: BlockSchemaCreate


class BlockDocumentQuery(Schema):
    block_type_slug: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    include_secrets: bool = False
    limit: int = Field(default=200, ge=1, le=1000)
    offset: Offset = 0


@router.post(
    "/block_types", response_model=BlockType, summary="Register a block type and its schema"
)
def register_block_type(body: BlockTypeRegistration, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        registered = blocks.register_block_type(
            conn, block_type=body.block_type, block_schema=body.block_schema
        )
    return model_response(registered)


@router.get("/block_types", response_model=list[BlockType], summary="List block types")
def read_block_types(db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        types = blocks.read_block_types(conn)
    return json_response([t.model_dump(mode="json") for t in types])


@router.get(
    "/block_types/{slug}",
    response_model=BlockType,
    responses={404: {"description": "No such block type"}},
    summary="Read a block type",
)
def read_block_type(slug: Slug, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(blocks.read_block_type(conn, slug=slug))


@router.post(
    "/block_documents",
    response_model=BlockDocument,
    status_code=201,
    responses={
        404: {"description": "The block type or schema is not registered"},
        409: {"description": "A document with that name exists (and overwrite is false)"},
    },
    summary="Save a block document (secret fields are encrypted at rest)",
)
def save_block_document(
    body: BlockDocumentCreate, db: DatabaseDep, overwrite: bool = Query(False)
) -> Response:
    with db.begin_write() as conn:
        saved = blocks.save_block_document(conn, document=body, overwrite=overwrite)
    return model_response(saved, 201)


@router.post(
    "/block_documents/filter",
    response_model=list[BlockDocument],
    summary="List block documents (secrets masked unless include_secrets)",
)
def read_block_documents(db: DatabaseDep, body: BlockDocumentQuery | None = None) -> Response:
    query = body or BlockDocumentQuery()
    with db.begin_read() as conn:
        documents = blocks.read_block_documents(
            conn,
            block_type_slug=query.block_type_slug,
            name=query.name,
            include_secrets=query.include_secrets,
            limit=query.limit,
            offset=query.offset,
        )
    return json_response([d.model_dump(mode="json") for d in documents])


@router.get(
    "/block_documents/{slug}/{name}",
    response_model=BlockDocument,
    responses={404: {"description": "No such block document"}},
    summary="Read a block document (secrets masked unless include_secrets)",
)
def read_block_document(
    slug: Slug, name: Name, db: DatabaseDep, include_secrets: bool = Query(False)
) -> Response:
    with db.begin_read() as conn:
        document = blocks.read_block_document(
            conn, block_type_slug=slug, name=name, include_secrets=include_secrets
        )
    return model_response(document)


@router.delete(
    "/block_documents/{slug}/{name}",
    status_code=204,
    responses={404: {"description": "No such block document"}},
    summary="Delete a block document",
)
def delete_block_document(slug: Slug, name: Name, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        blocks.delete_block_document(conn, block_type_slug=slug, name=name)
    return Response(status_code=204)
