"""The built-in block types registered in a store (what `headwater server start` does)."""

from __future__ import annotations

from sqlalchemy import func, select

from headwater.blocks.builtins import register_builtin_block_types
from headwater.client.local import LocalClient
from headwater.server.db.tables import block_schemas


def test_builtin_block_types_register_once_and_again_changes_nothing(database_url: str) -> None:
    client = LocalClient(database_url)
    first = register_builtin_block_types(client)
    again = register_builtin_block_types(client)
    types = {t.slug: t for t in client.read_block_types()}
    assert first == again
    for slug in (
        "secret",
        "json",
        "string",
        "webhook",
        "slack-webhook",
        "sqlalchemy-connector",
        "local-file-system",
        "remote-file-system",
    ):
        assert slug in types and types[slug].is_protected
        assert types[slug].latest_schema is not None
    assert types["secret"].latest_schema.secret_fields == ["value"]
    with client.db.begin_read() as conn:
        assert conn.execute(select(func.count()).select_from(block_schemas)).scalar_one() == len(
            types
        ), "one schema per type: registering again adds none"
