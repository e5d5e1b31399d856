"""Blocks: types and their schemas, saved documents, references between them.

Secret fields are encrypted here, on the side of the client boundary that owns the
store, so a server's key never reaches a client; reads mask them unless the caller
asks for them (``include_secrets=True``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, delete, insert, select, update

from headwater.core import encryption
from headwater.exceptions import BlockNotFound, DecryptionError, ObjectAlreadyExists
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import (
    block_document_references,
    block_documents,
    block_schemas,
    block_types,
)
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from headwater.schemas.blocks import (
        BlockDocument,
        BlockDocumentCreate,
        BlockSchema,
        BlockSchemaCreate,
        BlockType,
        BlockTypeCreate,
    )

_MAX_LISTED_NAMES = 20


# -- types and schemas ----------------------------------------------------------------------
def register_block_type(
    conn: Connection, *, block_type: BlockTypeCreate, block_schema: BlockSchemaCreate
) -> BlockType:
    """Create or update a block type and add its schema (idempotent by checksum)."""
    existing = conn.execute(select(block_types).where(block_types.c.slug == block_type.slug))
    row = existing.first()
    if (
        row is not None
        and row.is_protected
        and not block_type.is_protected
        and row.import_path != block_type.import_path
    ):
        raise ObjectAlreadyExists(
            f"the block type slug {block_type.slug!r} belongs to the built-in "
            f"{row.import_path}; give your class another `_block_type_slug`"
        )
    now = time.time()
    values = {
        "name": block_type.name,
        "description": block_type.description,
        "documentation_url": block_type.documentation_url,
        "import_path": block_type.import_path,
        "is_protected": block_type.is_protected,
        "updated": now,
    }
    stmt = insert_for(conn, block_types).values(
        id=new_id(), slug=block_type.slug, created=now, **values
    )
    conn.execute(stmt.on_conflict_do_update(index_elements=["slug"], set_=values))
    type_id = conn.execute(
        select(block_types.c.id).where(block_types.c.slug == block_type.slug)
    ).scalar_one()
    stmt = insert_for(conn, block_schemas).values(
        id=new_id(),
        block_type_id=type_id,
        created=now,
        **block_schema.model_dump(),
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["block_type_id", "checksum"]))
    return read_block_type(conn, slug=block_type.slug)


def read_block_type(conn: Connection, *, slug: str) -> BlockType:
    row = conn.execute(select(block_types).where(block_types.c.slug == slug)).first()
    if row is None:
        slugs = conn.execute(select(block_types.c.slug).order_by(block_types.c.slug)).scalars()
        raise BlockNotFound(f"no block type {slug!r}; {_listing('block types', list(slugs))}")
    return _to_block_type(conn, row)


def read_block_types(conn: Connection) -> list[BlockType]:
    rows = conn.execute(select(block_types).order_by(block_types.c.slug))
    return [_to_block_type(conn, row) for row in rows]


def read_block_schema(conn: Connection, *, slug: str, checksum: str) -> BlockSchema | None:
    from headwater.schemas.blocks import BlockSchema

    row = conn.execute(
        select(block_schemas)
        .join(block_types, block_types.c.id == block_schemas.c.block_type_id)
        .where(block_types.c.slug == slug, block_schemas.c.checksum == checksum)
    ).first()
    return BlockSchema.model_validate(dict(row._mapping)) if row else None


def _to_block_type(conn: Connection, row: Any) -> BlockType:
    from headwater.schemas.blocks import BlockSchema, BlockType

    latest = conn.execute(
        select(block_schemas)
        .where(block_schemas.c.block_type_id == row.id)
        .order_by(block_schemas.c.created.desc())
        .limit(1)
    ).first()
    schema = BlockSchema.model_validate(dict(latest._mapping)) if latest else None
    return BlockType.model_validate({**row._mapping, "latest_schema": schema})


# -- documents ------------------------------------------------------------------------------
_DOCUMENT_COLUMNS = (
    block_documents,
    block_types.c.slug.label("block_type_slug"),
    block_types.c.name.label("block_type_name"),
    block_schemas.c.checksum.label("block_schema_checksum"),
    block_schemas.c.version.label("block_schema_version"),
)


def _documents() -> Any:
    return (
        select(*_DOCUMENT_COLUMNS)
        .join(block_types, block_types.c.id == block_documents.c.block_type_id)
        .join(block_schemas, block_schemas.c.id == block_documents.c.block_schema_id)
    )


def save_block_document(
    conn: Connection, *, document: BlockDocumentCreate, overwrite: bool = False
) -> BlockDocument:
    """Save a document (its nested new blocks too); secrets come back masked.

    With ``overwrite`` an existing document of that type and name is replaced in
    place (same id).  A secret sent back as the mask keeps its stored value.
    """
    fernet = encryption.get_fernet()
    document_id = _save(conn, document, overwrite=overwrite, fernet=fernet)
    return read_block_document_by_id(conn, block_document_id=document_id)


def _save(
    conn: Connection, document: BlockDocumentCreate, *, overwrite: bool, fernet: Fernet
) -> UUID:
    from headwater.schemas.blocks import BlockDocumentRef

    slug = document.block_type_slug
    schema = conn.execute(
        select(block_schemas.c.id, block_schemas.c.block_type_id, block_schemas.c.secret_fields)
        .join(block_types, block_types.c.id == block_schemas.c.block_type_id)
        .where(
            block_types.c.slug == slug, block_schemas.c.checksum == document.block_schema_checksum
        )
    ).first()
    if schema is None:
        read_block_type(conn, slug=slug)  # a clear error when the type itself is unknown
        raise BlockNotFound(
            f"the {slug} block schema {document.block_schema_checksum} is not registered; "
            "register the block type first (`headwater block register`)"
        )
    name = document.name or f"anonymous-{new_id()}"
    query = select(block_documents).where(
        block_documents.c.block_type_id == schema.block_type_id, block_documents.c.name == name
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    existing = conn.execute(query).first()
    if existing is not None:
        if not overwrite:
            raise ObjectAlreadyExists(
                f"a {slug} block named {name!r} already exists; "
                "pass overwrite=True (CLI: --overwrite) to replace it"
            )
        if encryption.undecryptable(existing.data, fernet):
            raise DecryptionError(
                f"{encryption.WRONG_KEY} ({slug}/{name}); nothing was overwritten: use the key "
                "it was saved with, or delete the block first"
            )
    data = encryption.encrypt_paths(
        document.data,
        schema.secret_fields,
        fernet,
        previous=existing.data if existing is not None else None,
    )
    references: dict[str, UUID] = {}
    for field, ref in document.references.items():
        if isinstance(ref, BlockDocumentRef):
            found = conn.execute(
                select(block_documents.c.id).where(block_documents.c.id == ref.block_document_id)
            ).scalar()
            if found is None:
                raise BlockNotFound(
                    f"field {field!r} of {slug}/{name} refers to block document "
                    f"{ref.block_document_id}, which does not exist"
                )
            references[field] = found
        else:
            anonymous = ref.model_copy(update={"name": None})
            references[field] = _save(conn, anonymous, overwrite=False, fernet=fernet)
    now = time.time()
    if existing is not None:
        document_id = existing.id
        old_children = _anonymous_children(conn, document_id)
        conn.execute(
            update(block_documents)
            .where(block_documents.c.id == document_id)
            .values(block_schema_id=schema.id, data=data, updated=now)
        )
        conn.execute(
            delete(block_document_references).where(
                block_document_references.c.parent_id == document_id
            )
        )
    else:
        document_id = new_id()
        old_children = []
        conn.execute(
            insert(block_documents).values(
                id=document_id,
                name=name,
                block_type_id=schema.block_type_id,
                block_schema_id=schema.id,
                data=data,
                is_anonymous=document.name is None,
                created=now,
                updated=now,
            )
        )
    for field, child_id in references.items():
        conn.execute(
            insert(block_document_references).values(
                id=new_id(), parent_id=document_id, child_id=child_id, name=field
            )
        )
    for child_id in old_children:
        if child_id not in references.values():
            _delete_document(conn, child_id)
    return document_id


def _anonymous_children(conn: Connection, document_id: UUID) -> list[UUID]:
    rows = conn.execute(
        select(block_document_references.c.child_id)
        .join(block_documents, block_documents.c.id == block_document_references.c.child_id)
        .where(
            block_document_references.c.parent_id == document_id,
            block_documents.c.is_anonymous.is_(True),
        )
    )
    return list(rows.scalars())


def _delete_document(conn: Connection, document_id: UUID) -> None:
    """Delete a document and the anonymous blocks it owns."""
    children = _anonymous_children(conn, document_id)
    conn.execute(
        delete(block_document_references).where(
            block_document_references.c.parent_id == document_id
        )
    )
    conn.execute(delete(block_documents).where(block_documents.c.id == document_id))
    for child_id in children:
        if not _users(conn, child_id):
            _delete_document(conn, child_id)


def _users(conn: Connection, document_id: UUID) -> list[tuple[str, str]]:
    """(parent address, field) for every document that refers to this one."""
    rows = conn.execute(
        select(block_types.c.slug, block_documents.c.name, block_document_references.c.name)
        .select_from(block_document_references)
        .join(block_documents, block_documents.c.id == block_document_references.c.parent_id)
        .join(block_types, block_types.c.id == block_documents.c.block_type_id)
        .where(block_document_references.c.child_id == document_id)
    )
    return [(f"{slug}/{name}", field) for slug, name, field in rows]


def read_block_document(
    conn: Connection, *, block_type_slug: str, name: str, include_secrets: bool = False
) -> BlockDocument:
    """A document by type and name; a missing one raises ``BlockNotFound`` naming the
    documents of that type that do exist."""
    row = conn.execute(
        _documents().where(block_types.c.slug == block_type_slug, block_documents.c.name == name)
    ).first()
    if row is None:
        raise _not_found(conn, block_type_slug, name)
    return _to_document(conn, row, include_secrets=include_secrets)


def read_block_document_by_id(
    conn: Connection, *, block_document_id: UUID, include_secrets: bool = False
) -> BlockDocument:
    row = conn.execute(_documents().where(block_documents.c.id == block_document_id)).first()
    if row is None:
        raise BlockNotFound(f"block document {block_document_id} not found")
    return _to_document(conn, row, include_secrets=include_secrets)


def read_block_documents(
    conn: Connection,
    *,
    block_type_slug: str | None = None,
    name: str | None = None,
    include_secrets: bool = False,
    include_anonymous: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> list[BlockDocument]:
    query = _documents()
    if block_type_slug is not None:
        query = query.where(block_types.c.slug == block_type_slug)
    if name is not None:
        query = query.where(block_documents.c.name == name)
    if not include_anonymous:
        query = query.where(block_documents.c.is_anonymous.is_(False))
    query = query.order_by(block_types.c.slug, block_documents.c.name).limit(limit).offset(offset)
    return [_to_document(conn, row, include_secrets=include_secrets) for row in conn.execute(query)]


def delete_block_document(conn: Connection, *, block_type_slug: str, name: str) -> None:
    """Delete a document (and the anonymous blocks nested in it).  A document that
    other blocks refer to is kept, and the error names them."""
    document_id = conn.execute(
        select(block_documents.c.id)
        .join(block_types, block_types.c.id == block_documents.c.block_type_id)
        .where(block_types.c.slug == block_type_slug, block_documents.c.name == name)
    ).scalar()
    if document_id is None:
        raise _not_found(conn, block_type_slug, name)
    users = _users(conn, document_id)
    if users:
        named = ", ".join(f"{address} (field {field!r})" for address, field in users[:5])
        raise ObjectAlreadyExists(
            f"cannot delete {block_type_slug}/{name}: it is used by {named}; "
            "delete those blocks or save them without it first"
        )
    _delete_document(conn, document_id)


def _to_document(conn: Connection, row: Any, *, include_secrets: bool) -> BlockDocument:
    from headwater.schemas.blocks import BlockDocument

    values = dict(row._mapping)
    what = f"{values['block_type_slug']}/{values['name']}"
    if include_secrets:
        values["data"] = encryption.reveal(values["data"], encryption.get_fernet(), what=what)
    else:
        values["data"] = encryption.mask(values["data"])
    refs = conn.execute(
        select(block_document_references.c.name, block_document_references.c.child_id).where(
            block_document_references.c.parent_id == values["id"]
        )
    )
    values["references"] = {
        field: read_block_document_by_id(
            conn, block_document_id=child_id, include_secrets=include_secrets
        )
        for field, child_id in refs
    }
    values["secrets_included"] = include_secrets
    values.pop("block_type_id")
    values.pop("block_schema_id")
    return BlockDocument.model_validate(values)


def _not_found(conn: Connection, slug: str, name: str) -> BlockNotFound:
    type_exists = conn.execute(select(block_types.c.id).where(block_types.c.slug == slug)).scalar()
    if type_exists is None:
        slugs = conn.execute(select(block_types.c.slug).order_by(block_types.c.slug)).scalars()
        return BlockNotFound(
            f"no {slug} block named {name!r}: no {slug} block was ever saved here "
            f"({_listing('block types in the store', list(slugs))})"
        )
    names = list(
        conn.execute(
            select(block_documents.c.name)
            .where(
                block_documents.c.block_type_id == type_exists,
                block_documents.c.is_anonymous.is_(False),
            )
            .order_by(block_documents.c.name)
            .limit(_MAX_LISTED_NAMES + 1)
        ).scalars()
    )
    return BlockNotFound(
        f"no {slug} block named {name!r}; {_listing(f'saved {slug} blocks', names)}"
    )


def _listing(what: str, names: list[str]) -> str:
    if not names:
        return f"there are no {what}"
    shown = ", ".join(names[:_MAX_LISTED_NAMES])
    if len(names) > _MAX_LISTED_NAMES:
        shown += ", …"
    return f"{what}: {shown}"
