"""Prefect-style setting objects: ``from headwater.settings import HEADWATER_API_URL``
then ``HEADWATER_API_URL.value()`` (what ``PREFECT_API_URL.value()`` becomes after
renaming).  Each reads the current settings when asked."""

from __future__ import annotations

from typing import Any


class SettingRef:
    __slots__ = ("field", "name")

    def __init__(self, name: str, field: str) -> None:
        self.name = name
        self.field = field

    def value(self) -> Any:
        from headwater.settings import get_settings

        return getattr(get_settings(), self.field)

    def __repr__(self) -> str:
        return f"<{self.name}>"
