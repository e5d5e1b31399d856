"""Isolation for cache keys: two processes that miss the same key compute it once.

The first to arrive takes a lock on the key, computes, writes the result and lets
go; the others wait for the lock, then find the result.  For a local storage the
lock is an ``flock`` on ``<storage>/.locks/<key>.lock`` (released by the kernel if
the holder dies); for any other storage it is a lease on the key in the store,
renewed while held (see ``server/store/cache_locks.py``).  Waiting is bounded by
``HEADWATER_RESULTS_LOCK_TIMEOUT_SECONDS``; past it the waiter computes anyway.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from headwater.results.storage import LocalStorage, ResultStorage, check_key

_FIRST_WAIT = 0.001
_MAX_WAIT = 0.05


def _wait_loop(try_once: Callable[[], bool], timeout: float) -> bool:
    """Call ``try_once`` until it succeeds or ``timeout`` seconds pass."""
    if try_once():
        return True
    deadline = time.monotonic() + timeout
    pause = _FIRST_WAIT
    while time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        if try_once():
            return True
        pause = min(pause * 2, _MAX_WAIT)
    return False


@contextlib.contextmanager
def file_lock(path: str, timeout: float) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path``; yields False if it timed out."""
    import fcntl

    directory = os.path.dirname(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        acquired = _wait_loop(try_once, timeout)
        try:
            yield acquired
        finally:
            if acquired:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def store_lock(client: Any, key: str, timeout: float) -> Iterator[bool]:
    """Hold the store's lease on ``key``: renewed while held (by the client's lease
    keeper), so a long computation keeps it, and a holder that died frees it one lease
    duration (``HEADWATER_LEASE_SECONDS``) later."""
    from headwater.core.lease_ids import cache_lock_id
    from headwater.settings import get_settings
    from headwater.utilities.ids import new_id

    holder = str(new_id())
    duration = get_settings().lease_seconds
    acquired = _wait_loop(lambda: bool(client.acquire_cache_lock(key, holder, duration)), timeout)
    if not acquired:
        yield False
        return
    keeper = client.lease_keeper()
    lease_id = cache_lock_id(key, holder)
    keeper.hold(lease_id, duration)
    try:
        yield True
    finally:
        keeper.drop(lease_id)
        with contextlib.suppress(Exception):
            client.release_cache_lock(key, holder)


def lock_path(storage: LocalStorage, key: str) -> str:
    return os.path.join(str(storage.basepath), ".locks", check_key(key) + ".lock")


def key_lock(
    storage: ResultStorage, key: str, timeout: float, client_factory: Callable[[], Any]
) -> contextlib.AbstractContextManager[bool]:
    """The right lock for ``key`` in ``storage`` (see module doc)."""
    if isinstance(storage, LocalStorage):
        return file_lock(lock_path(storage, key), timeout)
    return store_lock(client_factory(), f"{storage.url or id(storage)}:{key}", timeout)
