"""Helpers shared by the pydantic schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

UTC = dt.timezone.utc


def _to_datetime(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, UTC)
    return value


#: A UTC datetime that also accepts epoch seconds (how the store keeps time).
Timestamp = Annotated[
    dt.datetime,
    BeforeValidator(_to_datetime),
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
]


def to_epoch(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class Schema(BaseModel):
    """Base of every schema: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=False)
