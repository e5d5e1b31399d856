"""Built-in value blocks: ``Secret``, ``JSON``, ``String``, ``DateTime``.

The same import path as Prefect's (``prefect.blocks.system``), so ported code changes
only its import line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, JsonValue, SecretStr
from pydantic import Secret as _PydanticSecret

from headwater.blocks.core import Block


class SecretJSON(_PydanticSecret[JsonValue]):
    """A secret JSON value (a dict, a list, a number) rather than a string."""


class Secret(Block):
    """A secret value (a password, a token, a JSON document of credentials), encrypted
    at rest.

    ``.get()`` returns it.
    """

    _block_type_slug = "secret"
    _documentation_url = "https://headwater.dev/docs/blocks#secret"

    value: SecretStr | SecretJSON = Field(
        union_mode="left_to_right",
        description="The value to keep secret: a string, or any JSON value.",
    )

    def get(self) -> Any:
        """The revealed value: a string stays a string, JSON stays as it was saved."""
        return self.value.get_secret_value()


class JSON(Block):
    """Any JSON value (not secret)."""

    _block_type_slug = "json"

    value: JsonValue = Field(description="A JSON-compatible value.")


class String(Block):
    """A string value (not secret)."""

    _block_type_slug = "string"

    value: str = Field(description="A string value.")


class DateTime(Block):
    """A date and time (not secret)."""

    _block_type_slug = "date-time"

    value: dt.datetime = Field(description="An ISO 8601 date and time.")
