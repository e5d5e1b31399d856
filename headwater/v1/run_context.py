"""``prefect.context`` of Prefect 1: what a running v1 task or flow may read.

``context.get("logger")``, ``context.flow_name``, ``context["parameters"]``,
``context.today`` …; ``with context(key=value):`` adds keys for a block.  Values live
in a ``ContextVar``, so concurrent task runs each see their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from typing import Any

_VALUES: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "headwater_v1_context",
    default={},  # noqa: B039 (never mutated: replaced whole)
)


def _logger() -> Any:
    from headwater.exceptions import MissingContextError
    from headwater.logging.loggers import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        import logging

        return logging.getLogger("headwater.v1")


def _dates(values: dict[str, Any]) -> dict[str, Any]:
    when = values.get("scheduled_start_time") or dt.datetime.now(dt.timezone.utc)
    day = when.date()
    one = dt.timedelta(days=1)
    return {
        "date": when,
        "today": day.isoformat(),
        "yesterday": (day - one).isoformat(),
        "tomorrow": (day + one).isoformat(),
        "today_nodash": day.strftime("%Y%m%d"),
        "yesterday_nodash": (day - one).strftime("%Y%m%d"),
        "tomorrow_nodash": (day + one).strftime("%Y%m%d"),
    }


class Context:
    """Read-mostly mapping of the current run's context (one shared instance)."""

    def _values(self) -> dict[str, Any]:
        return _VALUES.get()

    def get(self, key: str, default: Any = None) -> Any:
        values = self._values()
        if key in values:
            return values[key]
        if key == "logger":
            return _logger()
        dates = _dates(values)
        return dates.get(key, default)

    def __getitem__(self, key: str) -> Any:
        marker = object()
        value = self.get(key, marker)
        if value is marker:
            raise KeyError(key)
        return value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"context has no key {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._values() or key == "logger" or key in ("today", "date")

    def to_dict(self) -> dict[str, Any]:
        return {**_dates(self._values()), **self._values()}

    @contextlib.contextmanager
    def __call__(self, *mappings: dict[str, Any], **values: Any) -> Iterator[Context]:
        merged = dict(self._values())
        for mapping in mappings:
            merged.update(mapping)
        merged.update(values)
        token = _VALUES.set(merged)
        try:
            yield self
        finally:
            _VALUES.reset(token)

    def __repr__(self) -> str:
        return f"<Context: {sorted(self._values())}>"


context = Context()
