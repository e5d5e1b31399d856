"""What a state records besides its type and name (``StateDetails``): the run it
belongs to, when it is due, its cache key, pause and result reference.  Re-exported
by ``headwater.states``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

UTC = dt.timezone.utc


def from_timestamp(value: float | str | dt.datetime | None) -> dt.datetime | None:
    """A datetime (UTC when naive) from a timestamp, an ISO string or a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return dt.datetime.fromtimestamp(value, UTC)


class StateDetails:
    """Facts attached to a state: which run it belongs to and when it is due."""

    __slots__ = (
        "cache_expiration",
        "cache_key",
        "flow_run_id",
        "pause_key",
        "pause_timeout",
        "result_ref",
        "retriable",
        "scheduled_time",
        "task_run_id",
    )

    def __init__(
        self,
        *,
        flow_run_id: UUID | None = None,
        task_run_id: UUID | None = None,
        scheduled_time: dt.datetime | None = None,
        cache_key: str | None = None,
        cache_expiration: dt.datetime | None = None,
        retriable: bool | None = None,
        pause_timeout: dt.datetime | None = None,
        result_ref: dict[str, Any] | None = None,
        pause_key: str | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.scheduled_time = scheduled_time
        self.cache_key = cache_key
        self.cache_expiration = cache_expiration
        self.retriable = retriable
        self.pause_timeout = pause_timeout
        #: The key of the pause (``pause_flow_run(key=)``): its input is stored under
        #: ``{pause_key}-schema`` / ``{pause_key}-response``.
        self.pause_key = pause_key
        # Where a persisted result lives (see headwater.results.records.ResultRef).
        self.result_ref = result_ref

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, UUID):
                value = str(value)
            elif isinstance(value, dt.datetime):
                value = value.isoformat()
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> StateDetails:
        if not data:
            return cls()
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name not in cls.__slots__ or value is None:
                continue
            if name.endswith("_id"):
                value = UUID(str(value))
            elif name in ("scheduled_time", "cache_expiration", "pause_timeout"):
                value = from_timestamp(value)
            kwargs[name] = value
        return cls(**kwargs)

    def __repr__(self) -> str:
        return f"StateDetails({self.to_dict()})"
