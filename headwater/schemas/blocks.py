"""Blocks as the client and the server exchange them.

A block *type* (slug, display name, description) has *schemas*, one per version of
its class (identified by a checksum of the class's JSON schema).  A block *document*
is a saved, named instance: its field values, with secret ones encrypted at rest and
masked on reads unless the caller asks for them (``include_secrets``).  A field that
is itself a block is a *reference* to another document.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field

from headwater.core.encryption import SECRET_MASK as SECRET_MASK
from headwater.schemas.base import Schema, Timestamp

_NAME_RE = re.compile(r"[a-z0-9_-]{1,255}")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,254}")


def check_block_name(value: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise ValueError(
            f"block names are 1-255 characters of a-z, 0-9, '_' and '-' (got {_short(value)})"
        )
    return value


def check_slug(value: str) -> str:
    if not isinstance(value, str) or not _SLUG_RE.fullmatch(value):
        raise ValueError(
            f"block type slugs are 1-255 characters of a-z, 0-9 and '-' (got {_short(value)})"
        )
    return value


BlockName = Annotated[str, AfterValidator(check_block_name)]
BlockTypeSlug = Annotated[str, AfterValidator(check_slug)]


class BlockTypeCreate(Schema):
    slug: BlockTypeSlug
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    documentation_url: str | None = Field(default=None, max_length=500)
    #: ``package.module:Class`` or ``/path/to/file.py:Class``: where tools find the class.
    import_path: str | None = Field(default=None, max_length=1000)
    is_protected: bool = False


class BlockSchemaCreate(Schema):
    checksum: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=50)
    #: The class's JSON schema (what the CLI and the UI build forms from).
    fields: dict[str, Any]
    #: Dotted paths of the fields whose values are encrypted at rest.
    secret_fields: list[str] = Field(default_factory=list)
    capabilities: list[str] = Field(default_factory=list)


class BlockSchema(BlockSchemaCreate):
    id: UUID
    block_type_id: UUID
    created: Timestamp


class BlockType(Schema):
    id: UUID
    slug: str
    name: str
    description: str | None = None
    documentation_url: str | None = None
    import_path: str | None = None
    is_protected: bool = False
    created: Timestamp
    updated: Timestamp
    #: The most recently registered schema of this type.
    latest_schema: BlockSchema | None = None


class BlockDocumentRef(Schema):
    """A reference to a document that is already saved."""

    block_document_id: UUID


class BlockDocumentCreate(Schema):
    """A document to save.  Without a name it is anonymous: a nested block saved with
    (and owned by) its parent."""

    name: BlockName | None = None
    block_type_slug: BlockTypeSlug
    block_schema_checksum: str
    #: Field values in clear (the server encrypts the schema's secret fields).
    data: dict[str, Any] = Field(default_factory=dict)
    #: Fields that are blocks: a saved document, or a new anonymous one.
    references: dict[str, BlockDocumentRef | BlockDocumentCreate] = Field(default_factory=dict)


class BlockDocument(Schema):
    id: UUID
    name: str
    is_anonymous: bool = False
    block_type_slug: str
    block_type_name: str
    block_schema_checksum: str
    block_schema_version: str
    #: Field values; secret ones are ``SECRET_MASK`` unless ``secrets_included``.
    data: dict[str, Any] = Field(default_factory=dict)
    references: dict[str, BlockDocument] = Field(default_factory=dict)
    secrets_included: bool = False
    created: Timestamp
    updated: Timestamp

    @property
    def address(self) -> str:
        """``slug/name``, how the CLI and ``Block.load`` name a document."""
        return f"{self.block_type_slug}/{self.name}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
