"""The SQLite store's cross-process write queue: a free lock is taken at once, a held
one as soon as it is released, and a holder that never lets go (a stopped process)
delays a writer by at most the busy timeout instead of hanging it."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from headwater.server.db.write_lock import WriteLock


def _hold(path: Path) -> int:
    """Another open file description holding the lock (as another process would)."""
    fd = os.open(f"{path}-wlock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_free_lock_is_taken_and_given_back(tmp_path: Path) -> None:
    lock = WriteLock(str(tmp_path / "db.sqlite"), timeout=5)
    with lock:
        assert lock._held
    with lock:  # given back: taken again at once
        assert lock._held
    lock.close()


def test_a_writer_goes_on_when_the_lock_is_released(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    fd = _hold(path)
    threading.Timer(0.2, lambda: os.close(fd)).start()  # closing releases it
    lock = WriteLock(str(path), timeout=30)
    started = time.monotonic()
    with lock:
        waited = time.monotonic() - started
        assert lock._held
    assert 0.15 < waited < 10
    lock.close()


def test_a_holder_that_never_lets_go_costs_at_most_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    fd = _hold(path)
    try:
        lock = WriteLock(str(path), timeout=0.3)
        started = time.monotonic()
        with lock:  # goes on without the file lock: SQLite's busy handler decides
            assert not lock._held
        assert time.monotonic() - started < 10
        lock.close()
    finally:
        os.close(fd)


def test_one_helper_thread_serves_every_wait_and_a_given_up_wait_lets_go(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    before = set(threading.enumerate())
    lock = WriteLock(str(path), timeout=0.2)
    fd = _hold(path)
    with lock:  # given up: the helper keeps waiting, and lets go once it gets it
        assert not lock._held
    os.close(fd)
    for _ in range(3):  # each wait for a held lock goes through the same helper
        fd = _hold(path)
        threading.Timer(0.05, lambda fd=fd: os.close(fd)).start()
        lock._timeout = 10
        with lock:
            assert lock._held
    helpers = [t for t in set(threading.enumerate()) - before if t.name == "headwater-write-lock"]
    assert len(helpers) == 1
    other = os.open(f"{path}-wlock", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody keeps it after the writer
    os.close(other)
    lock.close()
