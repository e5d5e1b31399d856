"""Blocks (types, schemas, documents with secrets) and variables."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from headwater.blocks.core import Block
from headwater.client.protocol import Client
from headwater.exceptions import BlockNotFound, ObjectAlreadyExists
from headwater.schemas.blocks import SECRET_MASK, BlockDocumentCreate
from headwater.schemas.variables import VariableCreate
from tests.client.conformance.records import unique


class ConformanceCredentials(Block):
    """A block with a secret field, registered the way ``Block`` registers itself."""

    _block_type_slug = "conformance-credentials"
    user: str
    token: SecretStr


def _document(client: Client, name: str, token: str) -> BlockDocumentCreate:
    ConformanceCredentials.register_type_and_schema(client)
    block = ConformanceCredentials(user="ada", token=SecretStr(token))
    return block._to_document_create(name)


class CatalogueContract:
    def test_register_and_read_block_types(self, client: Client) -> None:
        cls = ConformanceCredentials
        first = client.register_block_type(
            cls._to_block_type_create(), cls._to_block_schema_create()
        )
        again = client.register_block_type(
            cls._to_block_type_create(), cls._to_block_schema_create()
        )
        assert first.id == again.id and first.slug == "conformance-credentials"
        assert first.latest_schema is not None
        assert first.latest_schema.checksum == cls.schema_checksum()
        assert first.latest_schema.secret_fields == ["token"]
        read = client.read_block_type("conformance-credentials")
        assert read.id == first.id and read.name == cls.get_block_type_name()
        assert "conformance-credentials" in {t.slug for t in client.read_block_types()}
        with pytest.raises(BlockNotFound):
            client.read_block_type(unique("no-such-type"))

    def test_block_documents_mask_secrets_unless_asked(self, client: Client) -> None:
        name = unique("creds")
        saved = client.save_block_document(_document(client, name, "s3cret"))
        assert saved.name == name and saved.data == {"user": "ada", "token": SECRET_MASK}
        assert not saved.secrets_included
        masked = client.read_block_document("conformance-credentials", name)
        assert masked.id == saved.id and masked.data["token"] == SECRET_MASK
        clear = client.read_block_document("conformance-credentials", name, include_secrets=True)
        assert clear.secrets_included and clear.data == {"user": "ada", "token": "s3cret"}
        with pytest.raises(BlockNotFound):
            client.read_block_document("conformance-credentials", unique("missing"))

    def test_save_block_document_overwrites_only_when_asked(self, client: Client) -> None:
        name = unique("creds")
        first = client.save_block_document(_document(client, name, "one"))
        with pytest.raises(ObjectAlreadyExists):
            client.save_block_document(_document(client, name, "two"))
        second = client.save_block_document(_document(client, name, "two"), overwrite=True)
        assert second.id == first.id
        read = client.read_block_document("conformance-credentials", name, include_secrets=True)
        assert read.data["token"] == "two"

    def test_read_block_documents_filters_and_pages(self, client: Client) -> None:
        names = sorted(unique("listed") for _ in range(3))
        for name in names:
            client.save_block_document(_document(client, name, "x"))
        found = client.read_block_documents(block_type_slug="conformance-credentials", limit=10_000)
        assert set(names) <= {d.name for d in found}
        assert all(d.data["token"] == SECRET_MASK for d in found)
        (one,) = client.read_block_documents(name=names[1], include_secrets=True)
        assert one.name == names[1] and one.data["token"] == "x"
        assert len(client.read_block_documents(limit=2)) == 2
        everything = client.read_block_documents(limit=10_000)
        assert client.read_block_documents(limit=1, offset=1)[0].id == everything[1].id

    def test_delete_block_document(self, client: Client) -> None:
        name = unique("gone")
        client.save_block_document(_document(client, name, "x"))
        client.delete_block_document("conformance-credentials", name)
        assert client.read_block_documents(name=name) == []
        with pytest.raises(BlockNotFound):
            client.delete_block_document("conformance-credentials", name)

    # -- variables ------------------------------------------------------------------------
    def test_variables_are_set_once_unless_overwritten(self, client: Client) -> None:
        name = unique("var").replace("-", "_")
        made = client.set_variable(VariableCreate(name=name, value={"a": [1, 2]}, tags=["t1"]))
        assert (made.name, made.value, made.tags) == (name, {"a": [1, 2]}, ["t1"])
        with pytest.raises(ObjectAlreadyExists):
            client.set_variable(VariableCreate(name=name, value=1))
        changed = client.set_variable(VariableCreate(name=name, value="two"), overwrite=True)
        assert (changed.id, changed.value, changed.tags) == (made.id, "two", ["t1"])
        read = client.read_variable(name)
        assert read is not None and read.value == "two"
        assert client.read_variable(unique("missing").replace("-", "_")) is None

    def test_read_variables_by_tag_and_delete(self, client: Client) -> None:
        tag = unique("tag")
        names = sorted(unique("v").replace("-", "_") for _ in range(3))
        for i, name in enumerate(names):
            client.set_variable(VariableCreate(name=name, value=i, tags=[tag]))
        tagged = client.read_variables(tag=tag)
        assert [v.name for v in tagged] == names and [v.value for v in tagged] == [0, 1, 2]
        assert [v.name for v in client.read_variables(tag=tag, limit=1, offset=1)] == names[1:2]
        assert client.delete_variable(names[0]) is True
        assert client.delete_variable(names[0]) is False
        assert [v.name for v in client.read_variables(tag=tag)] == names[1:]
