"""The write lock of a SQLite store, shared by every process that writes to it.

SQLite lets one writer in at a time; one that finds the database locked waits in
SQLite's busy handler, which polls with sleeps growing to 100 ms.  Between processes
that polling sets the pace under contention: a writer that lost the race by a
microsecond sleeps milliseconds while the lock sits free or goes to others, and a
process holding a concurrency slot can wait that long to give it back.  So writers
first queue on an OS lock (``flock``) of a file next to the database (``<db>-wlock``):
the kernel wakes a waiter the moment the lock is released, with no polling.  Threads
of one process queue on a ``threading.Lock`` first (one ``flock`` per process).

The file lock only orders Headwater's own writers; SQLite's locking still decides
(``BEGIN IMMEDIATE`` with its busy timeout), so another program writing the file,
or a platform without ``flock``, or a directory where the lock file cannot be
created (a read-only store), only loses the queueing, never correctness.  A writer
waits for the file lock at most the busy timeout (a holder stopped mid-transaction
must not hang every other process): then it goes on without it, and SQLite's busy
handler answers as it would have.
"""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]


class WriteLock:
    """``with lock:`` around a write transaction on the SQLite file ``path`` (None:
    an in-memory database, threads only)."""

    def __init__(self, path: str | None, timeout: float = 30.0) -> None:
        self._threads = threading.Lock()
        self._timeout = timeout
        self._held = False
        self._path = f"{path}-wlock" if path and fcntl is not None else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        """This process's descriptor of the lock file (a forked child opens its own:
        a descriptor inherited across ``fork`` shares the parent's lock)."""
        if self._path is None:
            return None
        if self._pid != os.getpid():
            self._pid = os.getpid()
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self._fd = None
        return self._fd

    def __enter__(self) -> None:
        if not self._threads.acquire(timeout=self._timeout):
            raise TimeoutError(f"no write turn within {self._timeout:g} s (busy store)")
        try:
            fd = self._file()
            self._held = fd is not None and _flock_within(fd, self._timeout)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._held and self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._held = False
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        self._pid = 0


def _flock_within(fd: int, timeout: float) -> bool:
    """Take the file lock, waiting at most ``timeout`` seconds; whether it was taken.
    The kernel has no timed ``flock``: after a free first try, look again every
    0.2 to 5 ms (short next to SQLite's busy handler, which sleeps up to 100 ms)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    deadline = time.monotonic() + timeout
    pause = 0.0002
    while time.monotonic() < deadline:
        time.sleep(pause)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pause = min(pause * 1.5, 0.005)
    return False
