"""Blocks: typed, named configuration and credentials saved in the store.

``from headwater.blocks import Block, Secret, JSON, String, DateTime, SecretDict``;
the names are imported on first use, so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.blocks.core import Block
    from headwater.blocks.fields import SecretDict
    from headwater.blocks.system import JSON, DateTime, Secret, String

_EXPORTS = {
    "Block": "headwater.blocks.core",
    "SecretDict": "headwater.blocks.fields",
    "Secret": "headwater.blocks.system",
    "JSON": "headwater.blocks.system",
    "String": "headwater.blocks.system",
    "DateTime": "headwater.blocks.system",
}

__all__ = ["JSON", "Block", "DateTime", "Secret", "SecretDict", "String"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'headwater.blocks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
