"""ResultStore: records by key, metadata kept apart, expiry, and its locks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from headwater.exceptions import MissingResult
from headwater.locking import MemoryLockManager
from headwater.results import ResultStore
from headwater.transactions import IsolationLevel


def test_write_read_exists(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path, serializer="json")
    assert not store.exists("k")
    with pytest.raises(MissingResult, match="no result"):
        store.read("k")
    ref = store.write({"a": 1}, key="k")
    assert ref["key"] == "k" and ref["serializer"] == "json"
    assert store.exists("k")
    record = store.read("k")
    assert record.result == {"a": 1} and record.expiration is None


def test_an_expired_record_does_not_exist(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path)
    store.write(1, key="k", expiration=time.time() - 1)
    assert not store.exists("k")
    with pytest.raises(MissingResult, match="expired"):
        store.read("k")


def test_metadata_storage_holds_the_keys(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path / "data", metadata_storage=tmp_path / "meta")
    store.write([1, 2], key="k")
    assert (tmp_path / "meta" / "k").exists() and (tmp_path / "data" / "k").exists()
    assert store.read("k").result == [1, 2]
    (tmp_path / "meta" / "k").unlink()  # payload without metadata: not committed
    assert not store.exists("k")


def test_isolation_levels_and_locks(tmp_path: Path) -> None:
    plain = ResultStore(result_storage=tmp_path)
    assert plain.supports_isolation_level(IsolationLevel.READ_COMMITTED)
    assert not plain.supports_isolation_level(IsolationLevel.SERIALIZABLE)
    with pytest.raises(RuntimeError, match="no lock manager"):
        plain.acquire_lock("k")
    locks = MemoryLockManager()
    store = ResultStore(result_storage=tmp_path, lock_manager=locks)
    assert store.supports_isolation_level("SERIALIZABLE")
    assert store.acquire_lock("k", holder="a")
    assert store.is_locked("k") and store.is_lock_holder("k", holder="a")
    with pytest.raises(RuntimeError, match="locked"):
        store.write(1, key="k", holder="b")
    store.write(1, key="k", holder="a")
    store.release_lock("k", holder="a")
    assert store.wait_for_lock("k", timeout=0)
