"""Field types for blocks whose values are secrets (encrypted at rest, masked in reprs)."""

from __future__ import annotations

from typing import Any

from pydantic import GetJsonSchemaHandler, Secret
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class SecretDict(Secret[dict[str, Any]]):
    """A dict whose contents are secret: ``SecretDict('**********')`` in reprs, the dict
    from ``get_secret_value()`` (e.g. HTTP headers carrying a token)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(writeOnly=True, format="password")
        return json_schema

    def __getitem__(self, key: str) -> Any:
        return self.get_secret_value()[key]
