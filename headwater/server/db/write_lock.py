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

The kernel has no timed ``flock``, so a writer that finds the lock taken waits in a
blocking ``flock`` on a descriptor of its own from a short-lived helper thread, for
at most the timeout; given up, the helper lets go of the lock as soon as it gets
it.  (Polling with ``LOCK_NB`` and sleeps of 0.2 to 5 ms, as before, left the lock
free between a release and the next poll, and twenty polling processes took the
CPU from the one holding the lock: under contention a write transaction waited
8.6 ms on average for a turn, most of it with nobody writing.)
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
        #: The descriptor holding the file lock now (this one's, or a helper's).
        self._held_fd: int | None = None
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
            self._held_fd = None if fd is None else _flock_within(fd, self._path, self._timeout)
            self._held = self._held_fd is not None
        except BaseException:
            self._threads.release()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        held, self._held_fd = self._held_fd, None
        try:
            if held is not None and self._pid == os.getpid():
                fcntl.flock(held, fcntl.LOCK_UN)
                if held != self._fd:
                    os.close(held)
        finally:
            self._held = False
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        self._pid = 0


def _flock_within(fd: int, path: str | None, timeout: float) -> int | None:
    """Take the file lock, waiting at most ``timeout`` seconds: the descriptor that
    holds it (``fd``, or one opened for the wait), or None if not taken in time."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    try:
        # A description of its own: a helper given up must not unlock ``fd``'s.
        own = os.open(path, os.O_RDWR | os.O_CLOEXEC) if path else -1
    except OSError:
        own = -1
    if own < 0:
        return fd if _poll(fd, timeout) else None
    return _wait_blocking(own, timeout)


def _wait_blocking(fd: int, timeout: float) -> int | None:
    """A blocking ``flock`` of ``fd`` (the kernel wakes it the moment the lock is
    released) in a helper thread, given up after ``timeout``: ``fd`` holding the
    lock, or None (``fd`` is then closed, by the helper if it still waits)."""
    done = threading.Event()
    guard = threading.Lock()
    state = {"got": False, "failed": False, "abandoned": False}

    def take() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            with guard:
                state["failed"] = True
                if state["abandoned"]:
                    os.close(fd)
            done.set()
            return
        with guard:
            if state["abandoned"]:  # nobody waits any more: let go at once
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                return
            state["got"] = True
        done.set()

    threading.Thread(target=take, name="headwater-write-lock", daemon=True).start()
    done.wait(timeout)
    with guard:
        if state["got"]:
            return fd
        if state["failed"]:
            os.close(fd)
        else:
            state["abandoned"] = True
    return None


def _poll(fd: int, timeout: float) -> bool:
    """Take the lock by polling (no descriptor could be opened for a blocking wait):
    look again every 0.2 to 5 ms for at most ``timeout`` seconds."""
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
