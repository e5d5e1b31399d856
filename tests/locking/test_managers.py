"""The lock managers: one holder per key, timeouts, hold expiry, crashed holders."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.client.http import HttpClient
from headwater.client.local import LocalClient
from headwater.locking import (
    FileSystemLockManager,
    LockManager,
    MemoryLockManager,
    StoreLockManager,
)
from tests._servers import ServerProcess


@pytest.fixture(params=["memory", "filesystem", "store"])
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> LockManager:
    if request.param == "memory":
        return MemoryLockManager()
    if request.param == "filesystem":
        return FileSystemLockManager(tmp_path / "locks")
    return StoreLockManager(LocalClient(), namespace=f"test-{time.monotonic_ns()}:")


def test_one_holder_at_a_time(manager: LockManager) -> None:
    assert not manager.is_locked("k")
    assert manager.acquire_lock("k", "a")
    assert manager.is_locked("k") and manager.is_lock_holder("k", "a")
    assert not manager.is_lock_holder("k", "b")
    assert manager.acquire_lock("k", "a")  # its holder may take it again
    assert not manager.acquire_lock("k", "b", acquire_timeout=0.05)
    with pytest.raises(ValueError, match="does not hold"):
        manager.release_lock("k", "b")
    manager.release_lock("k", "a")
    assert not manager.is_locked("k")
    with pytest.raises(ValueError):
        manager.release_lock("k", "a")
    assert manager.acquire_lock("k", "b", acquire_timeout=0)


def test_a_waiter_gets_the_lock_when_it_is_released(manager: LockManager) -> None:
    assert manager.acquire_lock("w", "a")
    threading.Timer(0.2, manager.release_lock, ("w", "a")).start()
    started = time.monotonic()
    assert manager.acquire_lock("w", "b", acquire_timeout=5)
    assert 0.15 <= time.monotonic() - started < 4
    assert manager.is_lock_holder("w", "b")


def test_wait_for_lock(manager: LockManager) -> None:
    assert manager.wait_for_lock("free", timeout=0)
    assert manager.acquire_lock("busy", "a")
    assert not manager.wait_for_lock("busy", timeout=0.05)
    threading.Timer(0.1, manager.release_lock, ("busy", "a")).start()
    assert manager.wait_for_lock("busy", timeout=5)


def test_a_hold_timeout_lets_the_lock_lapse(manager: LockManager) -> None:
    assert manager.acquire_lock("h", "a", hold_timeout=0.2)
    assert not manager.acquire_lock("h", "b", acquire_timeout=0)
    assert manager.acquire_lock("h", "b", acquire_timeout=5)
    assert not manager.is_lock_holder("h", "a")


def test_async_variants(manager: LockManager) -> None:
    async def main() -> None:
        assert await manager.aacquire_lock("as", "a")
        assert not await manager.await_for_lock("as", timeout=0.05)
        manager.release_lock("as", "a")
        assert await manager.await_for_lock("as", timeout=1)

    asyncio.run(main())


def test_bad_timeouts_are_refused(manager: LockManager) -> None:
    with pytest.raises(ValueError, match="acquire_timeout"):
        manager.acquire_lock("k", "a", acquire_timeout=-1)
    with pytest.raises(ValueError, match="hold_timeout"):
        manager.acquire_lock("k", "a", hold_timeout="soon")  # type: ignore[arg-type]


HOLDER = textwrap.dedent(
    """
    import sys, time
    from headwater import locking
    kind, where, key, ready = sys.argv[1:5]
    if kind == "filesystem":
        manager = locking.FileSystemLockManager(where)
    else:
        from headwater.client.http import HttpClient
        manager = locking.StoreLockManager(HttpClient(where) if where.startswith("http") else None)
    assert manager.acquire_lock(key, "doomed")
    open(ready, "w").close()
    time.sleep(120)
    """
)


def _start_holder(tmp_path: Path, kind: str, where: str, key: str, **env: str) -> Any:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    ready = tmp_path / f"ready-{key}"
    proc = subprocess.Popen(
        [sys.executable, str(script), kind, where, key, str(ready)],
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, "the holder exited early"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return proc


def test_a_file_lock_of_a_killed_process_is_free_at_once(tmp_path: Path) -> None:
    locks = FileSystemLockManager(tmp_path / "locks")
    proc = _start_holder(tmp_path, "filesystem", str(tmp_path / "locks"), "job")
    try:
        assert locks.is_locked("job") and locks.is_lock_holder("job", "doomed")
        assert not locks.acquire_lock("job", "me", acquire_timeout=0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not locks.is_locked("job")
    assert locks.acquire_lock("job", "me", acquire_timeout=0)


@pytest.fixture
def http_client(api_server: ServerProcess) -> Iterator[HttpClient]:
    with HttpClient(api_server.url, retry_seconds=5) as http:
        yield http


def test_a_store_lock_outlives_its_lease_only_while_renewed(
    tmp_path: Path, http_client: HttpClient, api_server: ServerProcess
) -> None:
    """Through the server (SQLite and PostgreSQL): a live holder keeps the lock past
    its lease duration; once it is SIGKILLed the lease lapses one duration later."""
    key = f"job-{time.monotonic_ns()}"
    locks = StoreLockManager(http_client)
    proc = _start_holder(tmp_path, "store", api_server.url, key, HEADWATER_LEASE_SECONDS="1")
    try:
        time.sleep(1.5)  # past one lease duration: held because it is renewed
        assert locks.is_lock_holder(key, "doomed")
        assert not locks.acquire_lock(key, "me", acquire_timeout=0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    started = time.monotonic()
    assert locks.acquire_lock(key, "me", acquire_timeout=10)
    assert time.monotonic() - started <= 2.5
    locks.release_lock(key, "me")
