"""The lock manager interface shared by the memory, file and store managers."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable

_FIRST_PAUSE = 0.001
_MAX_PAUSE = 0.05


def default_holder() -> str:
    """Who holds a lock when nobody says: this host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def poll(try_once: Callable[[], bool], timeout: float | None) -> bool:
    """Call ``try_once`` (backing off from 1 ms to 50 ms) until it returns True or
    ``timeout`` seconds pass (None: wait as long as it takes)."""
    if try_once():
        return True
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = _FIRST_PAUSE
    while deadline is None or time.monotonic() < deadline:
        left = _MAX_PAUSE if deadline is None else max(0.0, deadline - time.monotonic())
        time.sleep(min(pause, left))
        if try_once():
            return True
        pause = min(pause * 2, _MAX_PAUSE)
    return False


def check_timeout(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
    return float(value)


class LockManager:
    """One lock per key, held by a named holder.

    ``acquire_lock`` waits up to ``acquire_timeout`` seconds (None: as long as it
    takes) and returns whether ``holder`` now holds the key; taking a lock one already
    holds succeeds (and restarts its hold timeout).  A lock taken with
    ``hold_timeout`` counts for nothing once that many seconds have passed.
    ``release_lock`` raises ``ValueError`` when ``holder`` does not hold the key.
    """

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        raise NotImplementedError

    def release_lock(self, key: str, holder: str) -> None:
        raise NotImplementedError

    def is_locked(self, key: str) -> bool:
        raise NotImplementedError

    def is_lock_holder(self, key: str, holder: str) -> bool:
        raise NotImplementedError

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until nobody holds ``key``; False if ``timeout`` passed first."""
        return poll(lambda: not self.is_locked(key), check_timeout(timeout, "timeout"))

    async def aacquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        return await asyncio.to_thread(
            self.acquire_lock, key, holder, acquire_timeout, hold_timeout
        )

    async def await_for_lock(self, key: str, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.wait_for_lock, key, timeout)
