"""Built-in value blocks: Secret, JSON, String, DateTime."""

from __future__ import annotations

import datetime as dt

from headwater.blocks import JSON, Block, DateTime, Secret, String, system


def test_prefect_import_path_twin() -> None:
    assert system.Secret is Secret


def test_secret_string_and_json_values(database_url: str) -> None:
    Secret(value="12345").save("pin")
    Secret(value={"user": "u", "keys": [1, 2]}).save("creds")
    assert Secret.load("pin").get() == "12345"  # a string stays a string
    assert Secret.load("creds").get() == {"user": "u", "keys": [1, 2]}
    assert Secret.load("pin").get_secret_value() == "12345"


def test_secret_is_masked_in_repr_str_and_dumps() -> None:
    secret = Secret(value="hunter2")
    for text in (repr(secret), str(secret), secret.model_dump_json(), str(secret.model_dump())):
        assert "hunter2" not in text
    assert "**********" in repr(secret)


def test_value_blocks_round_trip(database_url: str) -> None:
    when = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    JSON(value={"a": [1, None, True]}).save("cfg")
    String(value="eu-west-1").save("region")
    DateTime(value=when).save("cutoff")
    assert JSON.load("cfg").value == {"a": [1, None, True]}
    assert String.load("region").value == "eu-west-1"
    assert DateTime.load("cutoff").value == when
    assert Block.load("string/region").value == "eu-west-1"  # type: ignore[attr-defined]


def test_slugs_and_descriptions() -> None:
    assert [k.get_block_type_slug() for k in (Secret, JSON, String, DateTime)] == [
        "secret",
        "json",
        "string",
        "date-time",
    ]
    assert Secret.get_description() and "secret" in Secret.get_description().lower()  # type: ignore[union-attr]
    assert Secret.secret_fields() == ["value"]
    assert String.secret_fields() == []
