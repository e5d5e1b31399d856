"""Block.load of a missing name: an error that is also a ValueError (Prefect's)."""

from __future__ import annotations

import pytest

from headwater.blocks import Secret
from headwater.exceptions import BlockNotFound, ObjectNotFound


def test_missing_block_is_a_value_error_and_names_the_block() -> None:
    with pytest.raises(ValueError, match="missing-token") as caught:
        Secret.load("missing-token")
    assert isinstance(caught.value, BlockNotFound) and isinstance(caught.value, ObjectNotFound)


def test_fallback_pattern_of_ported_flows() -> None:
    Secret(value="abc").save("present", overwrite=True)

    def token(name: str) -> str:
        try:
            return Secret.load(name).get()
        except ValueError:
            return "anonymous"

    assert token("present") == "abc" and token("absent") == "anonymous"
