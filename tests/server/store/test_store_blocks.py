"""The blocks service layer on a real connection (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from headwater.exceptions import BlockNotFound, ObjectAlreadyExists
from headwater.schemas.blocks import (
    BlockDocumentCreate,
    BlockDocumentRef,
    BlockSchemaCreate,
    BlockTypeCreate,
)
from headwater.server.db.database import get_database
from headwater.server.store import blocks

TYPE = BlockTypeCreate(slug="thing", name="Thing", description="A thing.")
SCHEMA = BlockSchemaCreate(
    checksum="sha256:1",
    version="1",
    fields={"properties": {}},
    secret_fields=["password", "nested.key"],
)


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    database = get_database(database_url)
    with database.begin_write() as conn:
        blocks.register_block_type(conn, block_type=TYPE, block_schema=SCHEMA)
    return database


def _doc(name: str | None, **data: object) -> BlockDocumentCreate:
    return BlockDocumentCreate(
        name=name, block_type_slug="thing", block_schema_checksum="sha256:1", data=data
    )


def test_register_is_idempotent_and_updates(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin_write() as conn:
        again = blocks.register_block_type(
            conn, block_type=TYPE.model_copy(update={"description": "New."}), block_schema=SCHEMA
        )
        assert again.description == "New."
        assert again.latest_schema is not None and again.latest_schema.checksum == "sha256:1"
        assert [t.slug for t in blocks.read_block_types(conn)] == ["thing"]
        schema = blocks.read_block_schema(conn, slug="thing", checksum="sha256:1")
        assert schema is not None and schema.secret_fields == ["password", "nested.key"]


def test_secret_paths_are_encrypted_masked_and_revealed(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin_write() as conn:
        saved = blocks.save_block_document(
            conn, document=_doc("a", password="pw", nested={"key": "k", "open": 1}, plain="x")
        )
    assert saved.data == {
        "password": "**********",
        "nested": {"key": "**********", "open": 1},
        "plain": "x",
    }
    with db.begin_read() as conn:
        revealed = blocks.read_block_document(
            conn, block_type_slug="thing", name="a", include_secrets=True
        )
    assert revealed.data["password"] == "pw" and revealed.data["nested"]["key"] == "k"
    assert revealed.secrets_included


def test_masked_value_sent_back_keeps_the_stored_secret(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin_write() as conn:
        blocks.save_block_document(conn, document=_doc("a", password="pw", plain="x"))
        blocks.save_block_document(
            conn, document=_doc("a", password="**********", plain="y"), overwrite=True
        )
        doc = blocks.read_block_document(
            conn, block_type_slug="thing", name="a", include_secrets=True
        )
    assert doc.data == {"password": "pw", "plain": "y"}


def test_references_and_deletion_rules(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin_write() as conn:
        child = blocks.save_block_document(conn, document=_doc("child", password="c"))
        parent = _doc("parent").model_copy(
            update={
                "references": {
                    "saved": BlockDocumentRef(block_document_id=child.id),
                    "inline": _doc(None, password="i"),
                }
            }
        )
        saved = blocks.save_block_document(conn, document=parent)
        assert saved.references["saved"].name == "child"
        assert saved.references["inline"].is_anonymous
        listed = blocks.read_block_documents(conn)
        assert [d.name for d in listed] == ["child", "parent"]
        assert len(blocks.read_block_documents(conn, include_anonymous=True)) == 3
        with pytest.raises(ObjectAlreadyExists, match="used by thing/parent"):
            blocks.delete_block_document(conn, block_type_slug="thing", name="child")
        blocks.delete_block_document(conn, block_type_slug="thing", name="parent")
        assert len(blocks.read_block_documents(conn, include_anonymous=True)) == 1


def test_unknown_reference_type_and_schema(db) -> None:  # type: ignore[no-untyped-def]
    from headwater.utilities.ids import new_id

    with db.begin_write() as conn:
        bad_ref = _doc("p").model_copy(
            update={"references": {"x": BlockDocumentRef(block_document_id=new_id())}}
        )
        with pytest.raises(BlockNotFound, match="does not exist"):
            blocks.save_block_document(conn, document=bad_ref)
        with pytest.raises(BlockNotFound, match="not registered"):
            blocks.save_block_document(
                conn, document=_doc("p").model_copy(update={"block_schema_checksum": "nope"})
            )
        with pytest.raises(BlockNotFound, match="no block type 'other'"):
            blocks.read_block_type(conn, slug="other")


def test_not_found_lists_names(db) -> None:  # type: ignore[no-untyped-def]
    with db.begin_write() as conn:
        for name in ("b", "a"):
            blocks.save_block_document(conn, document=_doc(name))
        with pytest.raises(
            BlockNotFound, match="no thing block named 'c'; saved thing blocks: a, b"
        ):
            blocks.read_block_document(conn, block_type_slug="thing", name="c")
