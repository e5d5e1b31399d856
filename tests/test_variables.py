"""Variable.set / get / unset, bounds, and use from flows."""

from __future__ import annotations

import asyncio

import pytest

from headwater import flow
from headwater.exceptions import ObjectAlreadyExists
from headwater.variables import InvalidVariable, Variable


def test_set_get_overwrite_unset(database_url: str) -> None:
    variable = Variable.set("threshold", 0.75, tags=["ml"])
    assert (variable.name, variable.value, variable.tags) == ("threshold", 0.75, ["ml"])
    assert Variable.get("threshold") == 0.75
    assert Variable.get("missing") is None
    assert Variable.get("missing", default="fallback") == "fallback"
    with pytest.raises(ObjectAlreadyExists, match="overwrite=True"):
        Variable.set("threshold", 0.8)
    Variable.set("threshold", {"value": 0.8}, overwrite=True)
    assert Variable.get("threshold") == {"value": 0.8}
    assert Variable.unset("threshold") is True
    assert Variable.unset("threshold") is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("Has Space", 1, "variable names are 1-255 characters"),
        ("x" * 256, 1, "variable names are 1-255 characters"),
        ("", 1, "variable names are 1-255 characters"),
        ("ok", "v" * 5_000, "at most 5,000 characters"),
        ("ok", {1, 2}, "must be JSON"),
        ("ok", float("nan"), "NaN and Infinity cannot be stored"),
        ("ok", {"k": "a\x00b"}, "contains a NUL character"),
        ("ok", ["lone \ud800"], "contains a lone surrogate"),
    ],
)
def test_bounds(database_url: str, name: str, value: object, message: str) -> None:
    with pytest.raises(InvalidVariable, match=message):
        Variable.set(name, value)


def test_largest_allowed_values(database_url: str) -> None:
    name = "a" * 255
    value = "v" * 4_998  # 5,000 characters as JSON, quotes included
    Variable.set(name, value)
    assert Variable.get(name) == value


def test_in_sync_and_async_flows(database_url: str) -> None:
    Variable.set("region", "eu")

    @flow
    def sync_flow() -> str:
        return Variable.get("region")  # type: ignore[no-any-return]

    @flow
    async def async_flow() -> str:
        await Variable.set("count", 1)
        return f"{await Variable.get('region')}-{await Variable.aget('count')}"

    assert sync_flow() == "eu"
    assert asyncio.run(async_flow()) == "eu-1"  # type: ignore[arg-type]
