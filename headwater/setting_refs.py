"""Prefect-style setting objects: ``from headwater.settings import HEADWATER_API_URL``
then ``HEADWATER_API_URL.value()`` (what ``PREFECT_API_URL.value()`` becomes after
renaming).  Each reads the current settings when asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SettingRef:
    __slots__ = ("field", "name", "settings")

    def __init__(self, name: str, field: str, settings: Callable[[], Any]) -> None:
        self.name = name
        self.field = field
        self.settings = settings  # ``get_settings``: given, so this module imports nothing

    def value(self) -> Any:
        return getattr(self.settings(), self.field)

    def __repr__(self) -> str:
        return f"<{self.name}>"
