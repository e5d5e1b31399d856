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
blocking ``flock`` on a descriptor of its own from a helper thread, for at most the
timeout; given up, the helper lets go of the lock as soon as it gets it (unless the
next writer of the process asks for it meanwhile: then it is that one's).  The
helper thread and its descriptor live as long as the process's lock: under
contention every write transaction waits, and starting a thread (with the switch
to it and back that ``Thread.start`` waits for) and opening a descriptor per wait
took CPU from the process writing and delayed the hand-over.  (Polling with
``LOCK_NB`` and sleeps of 0.2 to 5 ms, earlier, left the lock free between a
release and the next poll, and twenty polling processes took the CPU from the one
holding the lock: under contention a write transaction waited 8.6 ms on average
for a turn, most of it with nobody writing.)
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
        self._waiter: _Waiter | None = None

    def _file(self) -> int | None:
        """This process's descriptor of the lock file (a forked child opens its own:
        a descriptor inherited across ``fork`` shares the parent's lock)."""
        if self._path is None:
            return None
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._waiter = None  # a forked child has no helper thread
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self._fd = None
        return self._fd

    def _take(self, fd: int) -> int | None:
        """Take the file lock, waiting at most the timeout: the descriptor that holds
        it (``fd``, or the helper's), or None if not taken in time."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        if self._waiter is None and self._path is not None:
            try:
                # A description of its own: a wait given up must not unlock ``fd``'s.
                own = os.open(self._path, os.O_RDWR | os.O_CLOEXEC)
            except OSError:
                own = -1
            if own >= 0:
                self._waiter = _Waiter(own)
        if self._waiter is None or self._waiter.broken:
            return fd if _poll(fd, self._timeout) else None
        return self._waiter.wait(self._timeout)

    def __enter__(self) -> None:
        if not self._threads.acquire(timeout=self._timeout):
            raise TimeoutError(f"no write turn within {self._timeout:g} s (busy store)")
        try:
            fd = self._file()
            self._held_fd = None if fd is None else self._take(fd)
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
        finally:
            self._held = False
            self._threads.release()

    def close(self) -> None:
        if self._pid == os.getpid():
            if self._fd is not None:
                os.close(self._fd)
            if self._waiter is not None:
                self._waiter.close()
        self._fd = None
        self._waiter = None
        self._pid = 0


class _Waiter:
    """A daemon thread taking the file lock on its own descriptor with a blocking
    ``flock`` whenever a writer of this process asks (``wait``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._cond = threading.Condition()
        self._wanted = False  # a writer waits for the lock
        self._got = False  # the helper holds the lock for that writer
        self._closed = False
        #: The helper stopped (its ``flock`` failed): writers poll instead.
        self.broken = False
        self._thread = threading.Thread(target=self._run, name="headwater-write-lock", daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> int | None:
        """The helper's descriptor, holding the lock, or None after ``timeout``."""
        with self._cond:
            self._wanted = True
            self._cond.notify()
            if self._cond.wait_for(lambda: self._got, timeout):
                self._got = False
                return self.fd
            self._wanted = False  # given up: the helper lets go when it gets it
            return None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._wanted or self._closed)
                if self._closed:
                    break
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except OSError:  # pragma: no cover - the waiting writer times out
                self.broken = True
                break
            with self._cond:
                if self._wanted and not self._closed:
                    self._wanted = False
                    self._got = True
                    self._cond.notify()
                    continue
            fcntl.flock(self.fd, fcntl.LOCK_UN)  # nobody waits any more
        os.close(self.fd)


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
