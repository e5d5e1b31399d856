"""A persisted result: a small header plus the payload, in one file.

The file holds ``HWR1 {"serializer":…,"storage_key":…,"expiration":…,"created":…}\\n``
followed by the serialized value, so a reader learns how to load it (and whether it
has expired) from the file alone.  The same metadata plus the storage URL is the
*result ref*, a small JSON dict kept with the run's state in the store, from which
``State.result()`` loads the value lazily, in any process.
"""

from __future__ import annotations

import json
import time
from typing import Any

from headwater.exceptions import MissingResult
from headwater.results.serializers import Serializer, get_serializer
from headwater.results.storage import ResultStorage, get_storage

MAGIC = b"HWR1 "
_dumps = json.JSONEncoder(separators=(",", ":")).encode
_loads = json.loads


#: ``{"storage": URL or None, "key", "serializer", "expiration": epoch or None,
#: "created": epoch}``; a storage URL of None means only this process can read it.
ResultRef = dict[str, Any]


class CorruptResult(Exception):
    """A result file that cannot be read back (truncated, garbage, wrong serializer)."""


def encode_record(
    value: Any, serializer: Serializer, key: str, expiration: float | None, created: float
) -> list[bytes]:
    """The record's bytes, in parts (the payload is not copied to join them)."""
    header = _dumps(
        {
            "serializer": serializer.name,
            "storage_key": key,
            "expiration": expiration,
            "created": created,
        }
    )
    return [MAGIC + header.encode() + b"\n", serializer.dumps(value)]


def decode_header(data: bytes) -> tuple[dict[str, Any], int]:
    """The header and where the payload starts; ``CorruptResult`` if it is not one."""
    if not data.startswith(MAGIC):
        raise CorruptResult("not a Headwater result file")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise CorruptResult("truncated result header")
    try:
        header = _loads(data[len(MAGIC) : end])
    except ValueError as exc:
        raise CorruptResult(f"bad result header: {exc}") from None
    if not isinstance(header, dict) or "serializer" not in header:
        raise CorruptResult("bad result header")
    return header, end + 1


def decode_record(data: bytes) -> tuple[Any, dict[str, Any]]:
    """The value and header of a record's bytes; ``CorruptResult`` when unreadable."""
    header, start = decode_header(data)
    try:
        serializer = get_serializer(header["serializer"])
        return serializer.loads(data[start:]), header
    except Exception as exc:
        raise CorruptResult(f"cannot deserialize the result: {type(exc).__name__}: {exc}") from None


def write_result(
    storage: ResultStorage,
    key: str,
    value: Any,
    serializer: Serializer,
    expiration: float | None = None,
) -> ResultRef:
    """Persist ``value`` under ``key``; return the ref to keep with the run's state."""
    created = time.time()
    storage.write_parts(key, encode_record(value, serializer, key, expiration, created))
    return {
        "storage": storage.url,
        "key": key,
        "serializer": serializer.name,
        "expiration": expiration,
        "created": created,
    }


def read_result(storage: ResultStorage, key: str) -> tuple[Any, dict[str, Any]]:
    """Value and header stored under ``key``.  ``FileNotFoundError`` when absent,
    ``CorruptResult`` when present but unreadable."""
    return decode_record(storage.read(key))


def ref_from_header(storage: ResultStorage, header: dict[str, Any], key: str) -> ResultRef:
    return {
        "storage": storage.url,
        "key": key,
        "serializer": header.get("serializer", "pickle"),
        "expiration": header.get("expiration"),
        "created": header.get("created") or time.time(),
    }


def load_ref(ref: dict[str, Any], storage: ResultStorage | None = None) -> Any:
    """Load the value a result ref points at (from any process that can reach it)."""
    url = ref.get("storage")
    if storage is None:
        if url is None:
            raise MissingResult(
                "this result was persisted to a storage object without a URL; "
                "only the process that wrote it can read it"
            )
        storage = get_storage(url)
    key = ref["key"]
    try:
        value, _ = read_result(storage, key)
    except FileNotFoundError:
        raise MissingResult(f"the persisted result {key!r} is gone from {url}") from None
    except CorruptResult as exc:
        raise MissingResult(f"the persisted result {key!r} in {url} is unreadable: {exc}") from None
    return value
