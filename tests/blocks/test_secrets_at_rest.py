"""Secrets are encrypted in the database, and a wrong key is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, Secret
from headwater.blocks.encryption import generate_key
from headwater.blocks.notifications import Webhook
from headwater.blocks.sql import SqlAlchemyConnector
from headwater.client import get_client
from headwater.exceptions import DecryptionError

SENTINELS = ("plain-SENTINEL-1", "plain-SENTINEL-2", "plain-SENTINEL-3", "plain-SENTINEL-4")


class WithDefault(Block):
    _block_type_slug = "with-default-secret"
    token: SecretStr = SecretStr("plain-SENTINEL-4")


def _save_secrets() -> None:
    Secret(value=SENTINELS[0]).save("one")
    SqlAlchemyConnector(
        connection_info={"driver": "postgresql+psycopg", "host": "h", "password": SENTINELS[1]}
    ).save("db")
    Webhook(url="https://example.com/h", headers={"Authorization": SENTINELS[2]}).save("hook")
    WithDefault().save("defaulted")


def _raw_sqlite_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("headwater.db*") if p.is_file())


def test_sqlite_file_holds_no_secret_in_plain_text(headwater_home: Path) -> None:
    from headwater import flow, get_run_logger

    _save_secrets()

    @flow
    def uses_a_secret(token: Secret) -> int:
        get_run_logger().info("got %r", token)  # reprs are masked in run logs
        return len(token.get())

    # A block passed as a parameter is stored with its secrets masked.
    assert uses_a_secret(Secret.load("one")) == len(SENTINELS[0])
    assert Secret.load("one").get() == SENTINELS[0]  # and they still load
    raw = _raw_sqlite_bytes(headwater_home)
    assert b"plain-SENTINEL" not in raw
    assert b"$encrypted" in raw  # the documents are there, encrypted


def test_postgres_rows_hold_no_secret_in_plain_text(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the SQLite file is checked byte by byte above")
    from sqlalchemy import text

    from headwater.server.db.database import get_database

    _save_secrets()
    with get_database(database_url).begin_read() as conn:
        dumped = " ".join(
            str(row)
            for table in ("block_documents", "block_schemas", "block_types")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert "plain-SENTINEL" not in dumped
    assert "$encrypted" in dumped


def test_api_reads_are_masked_unless_revealed(database_url: str) -> None:
    _save_secrets()
    client = get_client()
    masked = client.read_block_document("sqlalchemy-connector", "db")
    assert masked.data["connection_info"] == "**********" and not masked.secrets_included
    revealed = client.read_block_document("sqlalchemy-connector", "db", include_secrets=True)
    assert revealed.data["connection_info"]["password"] == SENTINELS[1]
    hook = client.read_block_document("webhook", "hook")
    assert hook.data["url"] == "**********" and hook.data["method"] == "POST"


def test_wrong_key_is_refused_and_nothing_is_overwritten(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_key = generate_key()
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", first_key)
    Secret(value="original").save("one")
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", generate_key())
    with pytest.raises(DecryptionError) as info:
        Secret.load("one")
    assert str(info.value).startswith(
        "cannot decrypt: the encryption key differs from the one that saved this block"
    )
    assert "secret/one" in str(info.value)
    with pytest.raises(DecryptionError, match="nothing was overwritten"):
        Secret(value="clobbered").save("one", overwrite=True)
    # Masked reads (block ls, inspect without --show-secrets) still work.
    assert get_client().read_block_document("secret", "one").data["value"] == "**********"
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", first_key)
    assert Secret.load("one").get() == "original"


def test_wrong_key_file_leaves_the_old_key_file_alone(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Secret(value="original").save("one")
    key_file = headwater_home / "encryption.key"
    original_key = key_file.read_bytes()
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", generate_key())
    with pytest.raises(DecryptionError):
        Secret.load("one")
    monkeypatch.delenv("HEADWATER_ENCRYPTION_KEY")
    assert key_file.read_bytes() == original_key
    assert Secret.load("one").get() == "original"
