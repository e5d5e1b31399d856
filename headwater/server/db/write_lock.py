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
created (a read-only store), only loses the queueing, never correctness.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]


class WriteLock:
    """``with lock:`` around a write transaction on the SQLite file ``path`` (None:
    an in-memory database, threads only)."""

    def __init__(self, path: str | None) -> None:
        self._threads = threading.Lock()
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
        self._threads.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
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
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        self._pid = 0
