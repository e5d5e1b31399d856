"""Helpers shared by the pydantic schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

UTC = dt.timezone.utc


def _to_datetime(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("timestamp is out of range") from None
    return value


def _to_utc(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are UTC; one that has no epoch value (year 0 or 10000) is an error."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
        value.timestamp()
    except (OverflowError, OSError, ValueError):
        raise ValueError("date is out of range") from None
    return value


#: A UTC datetime that also accepts epoch seconds (how the store keeps time).
Timestamp = Annotated[
    dt.datetime,
    BeforeValidator(_to_datetime),
    AfterValidator(_to_utc),
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
