"""Locks between processes that share a directory: one small file per key.

A lock file holds ``{"holder", "expires", "host", "pid"}`` (or nothing when free).
Every read-modify-write of it happens under a short ``flock`` on the file itself, so
two processes never both take a key, and a process killed in the middle leaves no
``flock`` behind.  A lock counts for nothing once its hold timeout has passed, or
when its process (on this host) is gone: a crashed holder frees its keys at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from headwater.locking.base import LockManager, check_timeout, poll

_HOST = socket.gethostname()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_entry(raw: bytes) -> dict[str, Any] | None:
    """The lock a file's content describes, or None when it is free, expired or its
    holder's process is gone."""
    if not raw.strip():
        return None
    try:
        entry = json.loads(raw)
    except ValueError:
        return None  # a torn write from a holder that died: nobody holds it
    if not isinstance(entry, dict) or "holder" not in entry:
        return None
    expires = entry.get("expires")
    if expires is not None and expires <= time.time():
        return None
    pid = entry.get("pid")
    if entry.get("host") == _HOST and isinstance(pid, int) and not _alive(pid):
        return None
    return entry


class FileSystemLockManager(LockManager):
    """Locks as files under ``lock_files_directory`` (created when needed)."""

    def __init__(self, lock_files_directory: str | os.PathLike[str]) -> None:
        self.lock_files_directory = Path(lock_files_directory).expanduser().absolute()

    def lock_path(self, key: str) -> Path:
        name = quote(key, safe="")
        if len(name) > 200:
            name = hashlib.sha256(key.encode()).hexdigest()
        return self.lock_files_directory / f"{name}.lock"

    def _with_file(self, key: str, change: Callable[[dict[str, Any] | None], Any]) -> Any:
        """Run ``change(live entry)`` under the file's flock; a dict it returns (as
        ``("write", entry)``) or ``("clear", None)`` is written back."""
        path = self.lock_path(key)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:  # first use (or someone removed the directory)
            self.lock_files_directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, flags, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 4096, 0)
            action, payload, result = change(live_entry(raw))
            if action == "write":
                data = json.dumps(payload).encode()
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
            elif action == "clear" and raw:
                os.ftruncate(fd, 0)
            return result
        finally:
            os.close(fd)  # also lets go of the flock

    def _try(self, key: str, holder: str, hold_timeout: float | None) -> bool:
        def change(entry: dict[str, Any] | None) -> tuple[str, Any, bool]:
            if entry is not None and entry["holder"] != holder:
                return "keep", None, False
            expires = None if hold_timeout is None else time.time() + hold_timeout
            new = {"holder": holder, "expires": expires, "host": _HOST, "pid": os.getpid()}
            return "write", new, True

        return bool(self._with_file(key, change))

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        acquire_timeout = check_timeout(acquire_timeout, "acquire_timeout")
        hold_timeout = check_timeout(hold_timeout, "hold_timeout")
        return poll(lambda: self._try(key, holder, hold_timeout), acquire_timeout)

    def release_lock(self, key: str, holder: str) -> None:
        def change(entry: dict[str, Any] | None) -> tuple[str, Any, bool]:
            if entry is None or entry["holder"] != holder:
                return "keep", None, False
            return "clear", None, True

        if not self._with_file(key, change):
            raise ValueError(f"{holder!r} does not hold the lock on {key!r}")

    def _read(self, key: str) -> dict[str, Any] | None:
        if not self.lock_path(key).exists():
            return None
        return self._with_file(key, lambda entry: ("keep", None, entry))

    def is_locked(self, key: str) -> bool:
        return self._read(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        entry = self._read(key)
        return entry is not None and entry["holder"] == holder

    def __repr__(self) -> str:
        return f"FileSystemLockManager({str(self.lock_files_directory)!r})"
