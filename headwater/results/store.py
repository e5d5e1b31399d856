"""``ResultStore``: results by key, with the lock a transaction takes on its key.

``ResultStore(result_storage=…, metadata_storage=…, lock_manager=…, serializer=…)``
is what ``transaction(store=…)`` reads and writes (Prefect 3's names).  A record is
the usual result file (``records.py``).  With ``metadata_storage``, the payload goes
to ``result_storage`` first and a small metadata file (the header, naming where the
payload is) to ``metadata_storage`` second: a key exists once its metadata does, so
a writer killed between the two leaves nothing a reader could half-see.

Locks: ``lock_manager`` is any of ``headwater.locking``'s managers; without one the
store supports only ``READ_COMMITTED`` isolation.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any

from headwater.exceptions import MissingResult
from headwater.results.records import (
    CorruptResult,
    ResultRef,
    decode_record,
    encode_record,
    read_result,
    ref_from_header,
)
from headwater.results.serializers import Serializer, get_serializer
from headwater.results.storage import ResultStorage, get_storage


def _default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class ResultRecord:
    """A value read back from a store, with its header (``metadata``)."""

    __slots__ = ("key", "metadata", "result")

    def __init__(self, key: str, result: Any, metadata: dict[str, Any]) -> None:
        self.key = key
        self.result = result
        self.metadata = metadata

    @property
    def expiration(self) -> float | None:
        value = self.metadata.get("expiration")
        return None if value is None else float(value)

    def __repr__(self) -> str:
        return f"ResultRecord(key={self.key!r}, result={self.result!r})"


class ResultStore:
    """Read, write and lock results by key (see the module doc)."""

    def __init__(
        self,
        result_storage: Any = None,
        lock_manager: Any = None,
        metadata_storage: Any = None,
        serializer: Any = None,
        cache_result_in_memory: bool = True,
    ) -> None:
        if result_storage is None:
            from headwater.settings import get_settings

            result_storage = get_settings().results_storage_or_default
        self.result_storage: ResultStorage = get_storage(result_storage)
        self.metadata_storage: ResultStorage | None = (
            None if metadata_storage is None else get_storage(metadata_storage)
        )
        if serializer is None:
            from headwater.settings import get_settings

            serializer = get_settings().results_serializer
        self.serializer: Serializer = get_serializer(serializer)
        self.lock_manager = lock_manager
        self.cache_result_in_memory = cache_result_in_memory

    # -- records ----------------------------------------------------------------
    def _header(self, key: str) -> dict[str, Any] | None:
        """The key's live header (None: absent, unreadable or expired)."""
        try:
            if self.metadata_storage is not None:
                header = json.loads(self.metadata_storage.read(key))
            else:
                _, header = read_result(self.result_storage, key)
        except (FileNotFoundError, CorruptResult, ValueError, OSError):
            return None
        expiration = header.get("expiration")
        if expiration is not None and expiration <= time.time():
            return None
        return dict(header)

    def exists(self, key: str) -> bool:
        """A committed, unexpired record is stored under ``key``."""
        return self._header(key) is not None

    def read(self, key: str, holder: str | None = None) -> ResultRecord:
        """The record under ``key``; ``MissingResult`` when there is none (or it has
        expired).  While another holder has the key locked, waits for it first."""
        if self.lock_manager is not None:
            holder = holder or _default_holder()
            if not self.lock_manager.is_lock_holder(key, holder):
                self.lock_manager.wait_for_lock(key)
        try:
            if self.metadata_storage is not None:
                header = json.loads(self.metadata_storage.read(key))
                value, _ = decode_record(self.result_storage.read(header["storage_key"]))
            else:
                value, header = read_result(self.result_storage, key)
        except (FileNotFoundError, KeyError):
            raise MissingResult(f"no result is stored under {key!r}") from None
        except (CorruptResult, ValueError) as exc:
            raise MissingResult(f"the result under {key!r} is unreadable: {exc}") from None
        expiration = header.get("expiration")
        if expiration is not None and expiration <= time.time():
            raise MissingResult(f"the result under {key!r} has expired")
        return ResultRecord(key, value, header)

    def write(
        self,
        obj: Any,
        key: str,
        expiration: float | None = None,
        holder: str | None = None,
    ) -> ResultRef:
        """Store ``obj`` under ``key`` (``expiration``: epoch seconds).  Refused with
        ``RuntimeError`` while another holder has the key locked."""
        if self.lock_manager is not None and self.lock_manager.is_locked(key):
            holder = holder or _default_holder()
            if not self.lock_manager.is_lock_holder(key, holder):
                raise RuntimeError(
                    f"cannot write {key!r}: another holder has it locked "
                    "(take the lock first, or pass its holder)"
                )
        created = time.time()
        parts = encode_record(obj, self.serializer, key, expiration, created)
        self.result_storage.write_parts(key, parts)
        if self.metadata_storage is not None:
            header = {
                "serializer": self.serializer.name,
                "storage_key": key,
                "storage": self.result_storage.url,
                "expiration": expiration,
                "created": created,
            }
            self.metadata_storage.write(key, json.dumps(header).encode())
        return ref_from_header(
            self.result_storage,
            {"serializer": self.serializer.name, "expiration": expiration, "created": created},
            key,
        )

    # -- isolation --------------------------------------------------------------
    def supports_isolation_level(self, level: Any) -> bool:
        """READ_COMMITTED always; SERIALIZABLE when the store has a lock manager."""
        name = getattr(level, "value", level)
        if name == "READ_COMMITTED":
            return True
        if name == "SERIALIZABLE":
            return self.lock_manager is not None
        raise ValueError(f"unknown isolation level {level!r}")

    def _locks(self) -> Any:
        if self.lock_manager is None:
            raise ConfigurationErrorNoLocks()
        return self.lock_manager

    def acquire_lock(
        self, key: str, holder: str | None = None, timeout: float | None = None
    ) -> bool:
        return bool(self._locks().acquire_lock(key, holder or _default_holder(), timeout))

    def release_lock(self, key: str, holder: str | None = None) -> None:
        self._locks().release_lock(key, holder or _default_holder())

    def is_locked(self, key: str) -> bool:
        return bool(self._locks().is_locked(key))

    def is_lock_holder(self, key: str, holder: str | None = None) -> bool:
        return bool(self._locks().is_lock_holder(key, holder or _default_holder()))

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        return bool(self._locks().wait_for_lock(key, timeout))

    def __repr__(self) -> str:
        return (
            f"ResultStore(result_storage={self.result_storage!r}, "
            f"lock_manager={self.lock_manager!r})"
        )


class ConfigurationErrorNoLocks(RuntimeError):
    """A lock was asked of a store without a lock manager."""

    def __init__(self) -> None:
        super().__init__(
            "this ResultStore has no lock manager: pass lock_manager= "
            "(e.g. headwater.locking.FileSystemLockManager(path))"
        )
