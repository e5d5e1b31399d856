"""Turn parameter values into JSON the store can keep, bounded in size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from headwater.utilities.storable import storable_text, text_problem

#: Values whose JSON exceeds this many characters are kept as a short description.
MAX_VALUE_CHARS = 20_000


def to_jsonable(value: Any, depth: int = 0, lossy: list[Any] | None = None) -> Any:
    """A JSON-compatible copy of ``value`` that every store keeps; what has no such
    form becomes its repr (NaN, Infinity, objects) or its escaped text (a lone
    surrogate, NUL), and, when ``lossy`` is given, is noted in it."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _describe(value, lossy)
    if isinstance(value, str):
        if text_problem(value) is None:
            return value
        if lossy is not None:
            lossy.append(value)
        return storable_text(value)
    if depth > 20:
        return _describe(value, lossy)
    if isinstance(value, dict):
        return {_key(k, lossy): to_jsonable(v, depth + 1, lossy) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, depth + 1, lossy) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (uuid.UUID, PurePath, Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, depth + 1, lossy)
    if isinstance(value, bytes):
        return _describe(value, lossy)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return _describe(value, lossy)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value), depth + 1, lossy)
    return _describe(value, lossy)


def _key(key: Any, lossy: list[Any] | None) -> str:
    name = str(key)
    if text_problem(name) is None:
        return name
    if lossy is not None:
        lossy.append(key)
    return storable_text(name)


def _describe(value: Any, lossy: list[Any] | None = None) -> str:
    if lossy is not None:
        lossy.append(value)
    text = repr(value)
    if len(text) > 200:
        text = text[:197] + "..."
    return text


def bounded_parameters(
    parameters: dict[str, Any], unstored: list[str] | None = None
) -> dict[str, Any]:
    """Parameters as JSON; a value too large to keep is replaced by a description.
    The names of values kept only as a description are added to ``unstored``."""
    out: dict[str, Any] = {}
    for name, value in parameters.items():
        lossy: list[Any] = []
        converted = to_jsonable(value, 0, lossy)
        if lossy and unstored is not None:
            unstored.append(name)
        if isinstance(converted, (dict, list)) or (
            isinstance(converted, str) and len(converted) > MAX_VALUE_CHARS
        ):
            size = len(json.dumps(converted, default=str))
            if size > MAX_VALUE_CHARS:
                kind = type(value).__name__
                length = f" of {len(value)} items" if hasattr(value, "__len__") else ""
                converted = f"<{kind}{length}, {size:,} characters as JSON: not stored>"
                if unstored is not None and name not in unstored:
                    unstored.append(name)
        out[name] = converted
    return out
