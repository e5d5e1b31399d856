"""Stable hashes of Python values, for cache keys.

JSON first (fast, and the same in every process: sets are sorted, dict keys too);
what JSON cannot express falls back to cloudpickle.  A value neither can handle is
*unhashable*: ``hash_objects`` returns None and ``hash_named`` names the culprit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from pathlib import PurePath
from typing import Any

_blake2b = hashlib.blake2b


def _normalize(value: Any) -> Any:
    """``default`` for json.dumps: common types in a process-independent form."""
    if isinstance(value, (set, frozenset)):
        items = [json.dumps(v, default=_normalize, sort_keys=True) for v in value]
        return {"__set__": sorted(items)}
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return {"__dt__": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"__td__": value.total_seconds()}
    if isinstance(value, (uuid.UUID, decimal.Decimal, PurePath)):
        return {f"__{type(value).__name__}__": str(value)}
    if isinstance(value, enum.Enum):
        return {"__enum__": f"{type(value).__qualname__}.{value.name}"}
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": value.hex()}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return {"__model__": type(value).__qualname__, "value": dump(mode="json")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dc__": type(value).__qualname__, "value": dataclasses.asdict(value)}
    raise TypeError(type(value).__name__)


_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_normalize).encode


class UnhashableError(Exception):
    """A value that neither JSON nor cloudpickle can turn into bytes."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def _bytes_of(value: Any) -> bytes:
    try:
        return _encode(value).encode()
    except (TypeError, ValueError):
        pass
    import cloudpickle

    return cloudpickle.dumps(value, protocol=5)


def hash_bytes(data: bytes) -> str:
    return _blake2b(data, digest_size=16).hexdigest()


def hash_objects(*objects: Any) -> str | None:
    """A hex digest of the objects, or None if one cannot be hashed."""
    try:
        return hash_bytes(_bytes_of(objects))
    except Exception:
        try:
            return hash_bytes(b"\x00".join(_bytes_of(o) for o in objects))
        except Exception:
            return None


def hash_named(values: dict[str, Any], prefix: str = "") -> str:
    """A hex digest of ``prefix`` and a ``{name: value}`` mapping; ``UnhashableError``
    names the first value that cannot be hashed."""
    try:
        return hash_bytes((prefix + _encode(values)).encode())
    except (TypeError, ValueError):
        pass
    parts = []
    for name in sorted(values):
        try:
            data = _bytes_of(values[name])
        except Exception as exc:
            raise UnhashableError(name, f"{type(exc).__name__}: {exc}") from None
        parts.append(name.encode() + b"=" + hash_bytes(data).encode())
    return hash_bytes(prefix.encode() + b"\x00".join(parts))
