"""The Block base: save/load by name, overwrite, nesting, deletion, bad documents."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from pydantic import SecretStr

from headwater import flow
from headwater.blocks import Block, Secret, String
from headwater.client import get_client
from headwater.exceptions import (
    BlockDocumentMismatch,
    BlockNotFound,
    ObjectAlreadyExists,
    UserInputError,
)


class Credentials(Block):
    """Database credentials."""

    _block_type_slug = "test-credentials"

    username: str
    password: SecretStr
    port: int = 5432


class Service(Block):
    _block_type_slug = "test-service"

    url: str
    credentials: Credentials
    fallback: Credentials | None = None


def test_save_and_load_by_name(database_url: str) -> None:
    block_id = Credentials(username="ada", password="pw-1").save("warehouse")
    loaded = Credentials.load("warehouse")
    assert loaded.username == "ada" and loaded.password.get_secret_value() == "pw-1"
    assert loaded._block_document_id == block_id
    assert Block.load("test-credentials/warehouse") == loaded


def test_block_type_identity_is_registered(database_url: str) -> None:
    Credentials(username="a", password="p").save("one")
    block_type = get_client().read_block_type("test-credentials")
    assert block_type.name == "Credentials"
    assert block_type.description == "Database credentials."
    assert block_type.import_path == f"{__name__}:Credentials"
    assert block_type.latest_schema is not None
    assert block_type.latest_schema.checksum == Credentials.schema_checksum()
    assert block_type.latest_schema.secret_fields == ["password"]
    assert block_type.latest_schema.fields["properties"]["password"]["writeOnly"] is True


def test_overwrite_is_explicit(database_url: str) -> None:
    Credentials(username="a", password="p1").save("db")
    with pytest.raises(ObjectAlreadyExists, match="already exists; pass overwrite=True"):
        Credentials(username="b", password="p2").save("db")
    first_id = Credentials.load("db")._block_document_id
    assert Credentials(username="b", password="p2").save("db", overwrite=True) == first_id
    assert Credentials.load("db").username == "b"


def test_loaded_block_saves_under_its_own_name(database_url: str) -> None:
    Credentials(username="a", password="p").save("db")
    block = Credentials.load("db")
    block.port = 6543
    block.save(overwrite=True)
    assert Credentials.load("db").port == 6543


def test_missing_block_names_type_and_lists_existing(database_url: str) -> None:
    Credentials(username="a", password="p").save("alpha")
    Credentials(username="b", password="p").save("beta")
    with pytest.raises(BlockNotFound) as info:
        Credentials.load("gamma")
    message = str(info.value)
    assert "\n" not in message
    assert "no test-credentials block named 'gamma'" in message
    assert "alpha, beta" in message


def test_missing_block_of_a_type_never_saved(database_url: str) -> None:
    with pytest.raises(BlockNotFound, match="no string block named 'x'"):
        String.load("x")


def test_bad_names_are_refused(database_url: str) -> None:
    with pytest.raises(UserInputError, match="block names are"):
        Credentials(username="a", password="p").save("Not Valid")
    with pytest.raises(UserInputError, match="needs a name"):
        Credentials(username="a", password="p").save()
    with pytest.raises(UserInputError, match="type-slug/name"):
        Block.load("just-a-name")


def test_unknown_fields_are_refused_when_building() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Credentials(username="a", password="p", colour="red")  # type: ignore[call-arg]


def test_nested_blocks_are_stored_by_reference(database_url: str) -> None:
    shared = Credentials(username="svc", password="shared-pw")
    shared.save("shared")
    Service(url="https://a", credentials=Credentials.load("shared")).save("api")
    Service(url="https://b", credentials=Credentials.load("shared")).save("api2")

    # Rotate the shared password in one place: both services see it.
    Credentials(username="svc", password="rotated-pw").save("shared", overwrite=True)
    assert Service.load("api").credentials.password.get_secret_value() == "rotated-pw"
    assert Service.load("api2").credentials.password.get_secret_value() == "rotated-pw"

    document = get_client().read_block_document("test-service", "api")
    assert "credentials" not in document.data
    assert document.references["credentials"].address == "test-credentials/shared"


def test_unsaved_nested_block_is_saved_anonymously_with_its_parent(database_url: str) -> None:
    service = Service(
        url="https://a",
        credentials=Credentials(username="inline", password="inline-pw"),
        fallback=None,
    )
    service.save("api")
    assert service.credentials._is_anonymous
    loaded = Service.load("api")
    assert loaded.credentials.username == "inline"
    assert loaded.credentials.password.get_secret_value() == "inline-pw"
    client = get_client()
    assert [d.address for d in client.read_block_documents()] == ["test-service/api"]
    # Overwriting the parent replaces (and removes) the anonymous child.
    Service(url="u", credentials=Credentials(username="x", password="y")).save(
        "api", overwrite=True
    )
    Service.delete("api")
    assert client.read_block_documents() == []


def test_a_block_in_use_cannot_be_deleted(database_url: str) -> None:
    Credentials(username="svc", password="p").save("shared")
    Service(url="u", credentials=Credentials.load("shared")).save("api")
    with pytest.raises(
        ObjectAlreadyExists, match=r"used by test-service/api \(field 'credentials'\)"
    ):
        Credentials.delete("shared")
    Service.delete("api")
    Credentials.delete("shared")
    with pytest.raises(BlockNotFound):
        Credentials.delete("shared")


def test_document_missing_a_new_field_says_which(database_url: str) -> None:
    class Old(Block):
        _block_type_slug = "evolving"
        host: str

    Old(host="h").save("thing")

    class New(Block):
        _block_type_slug = "evolving"
        host: str
        region: str

    with pytest.raises(BlockDocumentMismatch) as info:
        New.load("thing")
    message = str(info.value)
    assert "field 'region' of New is missing" in message
    assert "evolving/thing" in message and "another version of the class" in message
    assert "\n" not in message


def test_document_with_a_renamed_field_says_which(database_url: str) -> None:
    class Before(Block):
        _block_type_slug = "renaming"
        hostname: str

    Before(hostname="h").save("thing")

    class After(Block):
        _block_type_slug = "renaming"
        host: str

    with pytest.raises(BlockDocumentMismatch, match="was 'hostname' renamed to 'host'"):
        After.load("thing")
    assert After.load("thing", validate=False).model_dump() == {}


def test_document_with_a_changed_type_says_which(database_url: str) -> None:
    class Loose(Block):
        _block_type_slug = "typed"
        port: str

    Loose(port="not-a-number").save("thing")

    class Strict(Block):
        _block_type_slug = "typed"
        port: int

    with pytest.raises(BlockDocumentMismatch, match="port: Input should be a valid integer"):
        Strict.load("thing")


def test_get_secret_value() -> None:
    creds = Credentials(username="a", password="pw")
    assert creds.get_secret_value() == "pw"
    assert creds.get_secret_value("password") == "pw"
    with pytest.raises(UserInputError, match="name the one to reveal"):
        Service(url="u", credentials=creds).get_secret_value()


def test_bytes_fields_round_trip(database_url: str) -> None:
    from pydantic import SecretBytes

    class Keys(Block):
        _block_type_slug = "test-keys"
        private: SecretBytes
        public: bytes

    Keys(private=b"\x00\xffsecret", public=b"\x01pub").save("k")
    loaded = Keys.load("k")
    assert loaded.private.get_secret_value() == b"\x00\xffsecret"
    assert loaded.public == b"\x01pub"


def test_builtin_slug_cannot_be_taken(database_url: str) -> None:
    Secret(value="x").save("real")

    class Impostor(Block):
        _block_type_slug = "secret"
        value: str

    with pytest.raises(ObjectAlreadyExists, match="belongs to the built-in"):
        Impostor(value="y").save("fake")


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=os.environ
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_save_in_one_process_and_load_in_another(database_url: str) -> None:
    Secret(value="from-parent").save("shared")
    assert (
        _run("from headwater.blocks import Secret; print(Secret.load('shared').get())")
        == "from-parent"
    )
    _run("from headwater.blocks import String; String(value='from-child').save('note')")
    assert String.load("note").value == "from-child"


def test_rotated_secret_is_seen_by_the_next_load(database_url: str) -> None:
    load = "from headwater.blocks import Secret; print(Secret.load('api-key').get())"
    Secret(value="key-v1").save("api-key")
    assert _run(load) == "key-v1"
    Secret(value="key-v2").save("api-key", overwrite=True)
    assert _run(load) == "key-v2"
    assert Secret.load("api-key").get() == "key-v2"


def test_load_inside_flows_sync_and_async(database_url: str) -> None:
    Secret(value="s").save("tok")

    @flow
    def sync_flow() -> str:
        return Secret.load("tok").get()  # type: ignore[no-any-return]

    @flow
    async def async_flow() -> str:
        block = await Secret.load("tok")  # Prefect 3 style: awaitable in async code
        again = await Secret.aload("tok")
        forced = Secret.load("tok", _sync=True)  # type: ignore[call-arg]
        return block.get() + again.get() + forced.get()  # type: ignore[no-any-return]

    assert sync_flow() == "s"
    assert asyncio.run(async_flow()) == "sss"  # type: ignore[arg-type]


def test_save_and_delete_are_awaitable_in_async_code(database_url: str) -> None:
    async def main() -> str:
        await String(value="v").save("a")
        value = (await String.load("a")).value
        await String.delete("a")
        return value

    assert asyncio.run(main()) == "v"
    with pytest.raises(BlockNotFound):
        String.load("a")
