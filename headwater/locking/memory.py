"""Locks between the threads of one process."""

from __future__ import annotations

import threading
import time

from headwater.locking.base import LockManager, check_timeout


class MemoryLockManager(LockManager):
    """Locks kept in this process: enough when every run of a key shares a process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        #: key -> (holder, expires on the monotonic clock or None)
        self._locks: dict[str, tuple[str, float | None]] = {}

    def _holder(self, key: str) -> str | None:
        """The key's live holder (drops an expired lock); call with the condition held."""
        entry = self._locks.get(key)
        if entry is None:
            return None
        holder, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._locks[key]
            self._cond.notify_all()
            return None
        return holder

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        acquire_timeout = check_timeout(acquire_timeout, "acquire_timeout")
        hold_timeout = check_timeout(hold_timeout, "hold_timeout")
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        with self._cond:
            while True:
                current = self._holder(key)
                if current is None or current == holder:
                    expires = None if hold_timeout is None else time.monotonic() + hold_timeout
                    self._locks[key] = (holder, expires)
                    return True
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                waits = [] if deadline is None else [deadline - now]
                expires = self._locks[key][1]
                if expires is not None:
                    waits.append(expires - now)
                self._cond.wait(min(waits) if waits else None)

    def release_lock(self, key: str, holder: str) -> None:
        with self._cond:
            if self._holder(key) != holder:
                raise ValueError(f"{holder!r} does not hold the lock on {key!r}")
            del self._locks[key]
            self._cond.notify_all()

    def is_locked(self, key: str) -> bool:
        with self._cond:
            return self._holder(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        with self._cond:
            return self._holder(key) == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        timeout = check_timeout(timeout, "timeout")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._holder(key) is not None:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                waits = [] if deadline is None else [deadline - now]
                expires = self._locks[key][1]
                if expires is not None:
                    waits.append(expires - now)
                self._cond.wait(min(waits) if waits else None)
            return True
