"""Serializers for persisted results: ``pickle`` (cloudpickle), ``json``, and their
``compressed/`` variants (zlib).

A serializer is named by a string so that the name can be stored with a result and
the reader (another process, another machine) picks the same one back.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import json
import uuid
import zlib
from pathlib import PurePath
from typing import Any

from headwater.exceptions import InvalidOptionError


class Serializer:
    """Turns a value into bytes and back; ``name`` is stored with each result."""

    name: str = ""

    def dumps(self, value: Any) -> bytes:
        raise NotImplementedError

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Serializer) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class PickleSerializer(Serializer):
    """cloudpickle: any Python value, including functions and classes from ``__main__``."""

    name = "pickle"

    def dumps(self, value: Any) -> bytes:
        import cloudpickle

        return cloudpickle.dumps(value, protocol=5)

    def loads(self, data: bytes) -> Any:
        import pickle

        return pickle.loads(data)


_TYPE_KEY = "__hw_type__"


def _encode(value: Any) -> Any:
    """``default`` for json: the common non-JSON types, tagged so they load back."""
    if isinstance(value, dt.datetime):
        return {_TYPE_KEY: "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {_TYPE_KEY: "date", "value": value.isoformat()}
    if isinstance(value, dt.time):
        return {_TYPE_KEY: "time", "value": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {_TYPE_KEY: "timedelta", "value": value.total_seconds()}
    if isinstance(value, uuid.UUID):
        return {_TYPE_KEY: "uuid", "value": str(value)}
    if isinstance(value, decimal.Decimal):
        return {_TYPE_KEY: "decimal", "value": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {_TYPE_KEY: "bytes", "value": base64.b64encode(value).decode()}
    if isinstance(value, (set, frozenset)):
        return {_TYPE_KEY: "set", "value": list(value)}
    if isinstance(value, PurePath):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_DECODERS: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(seconds=v),
    "uuid": uuid.UUID,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
    "set": set,
}


def _decode(obj: dict[str, Any]) -> Any:
    kind = obj.get(_TYPE_KEY)
    if kind is not None and len(obj) == 2 and kind in _DECODERS:
        return _DECODERS[kind](obj["value"])
    return obj


class JSONSerializer(Serializer):
    """JSON, readable by any tool; datetimes, UUIDs, decimals, bytes and sets load back
    as themselves, pydantic models and dataclasses as dicts."""

    name = "json"

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, default=_encode, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data, object_hook=_decode)


class CompressedSerializer(Serializer):
    """Another serializer's bytes, compressed with zlib."""

    def __init__(self, inner: Serializer, level: int = 6) -> None:
        self.inner = inner
        self.level = level
        self.name = f"compressed/{inner.name}"

    def dumps(self, value: Any) -> bytes:
        return zlib.compress(self.inner.dumps(value), self.level)

    def loads(self, data: bytes) -> Any:
        return self.inner.loads(zlib.decompress(data))


_BUILTIN: dict[str, Serializer] = {
    "pickle": PickleSerializer(),
    "json": JSONSerializer(),
}
_BUILTIN["compressed/pickle"] = CompressedSerializer(_BUILTIN["pickle"])
_BUILTIN["compressed/json"] = CompressedSerializer(_BUILTIN["json"])
#: Prefect's spelling of the default compressed serializer.
_BUILTIN["compressed"] = _BUILTIN["compressed/pickle"]

SERIALIZER_NAMES = ("pickle", "json", "compressed/pickle", "compressed/json")


def get_serializer(value: str | Serializer) -> Serializer:
    """The serializer named ``value`` (or ``value`` itself); a one-line error otherwise."""
    if isinstance(value, Serializer):
        return value
    if isinstance(value, str):
        found = _BUILTIN.get(value.strip().lower())
        if found is not None:
            return found
    raise InvalidOptionError(
        f"unknown result serializer {value!r}; use one of: {', '.join(SERIALIZER_NAMES)}"
    )


def check_serializer(value: Any, where: str) -> Serializer | None:
    """Decorator-time check of ``result_serializer``."""
    if value is None:
        return None
    try:
        return get_serializer(value)
    except InvalidOptionError as exc:
        raise InvalidOptionError(f"{where}: {exc}") from None


def register_serializer(serializer: Serializer) -> Serializer:
    """Make a custom serializer loadable by name (call it where results are read too)."""
    if not isinstance(serializer, Serializer) or not serializer.name:
        raise InvalidOptionError("register_serializer() needs a Serializer with a name")
    _BUILTIN[serializer.name] = serializer
    return serializer
