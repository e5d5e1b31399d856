"""The batching writer: task-run records and logs reach the store in bulk.

The engine appends records to a deque (a few hundred nanoseconds, no lock); a
background thread writes them every ``writer_flush_seconds`` or as soon as
``writer_batch_size`` are waiting.  Several records for one task run in a batch
collapse into the newest.  ``flush()`` blocks until everything queued before it is
written; the engine calls it before a flow run's final state is set and at exit.
A failed write is retried with backoff (the records stay queued) when the error is
transient (store locked, server unreachable); other errors are reported and dropped.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from headwater.schemas.records import LogRecord, TaskRunRecord

_TASK_RUN = 0
_LOG = 1
_MARKER = 2

_IDLE_EXIT_SECONDS = 5.0
_MAX_BACKOFF_SECONDS = 5.0

logger = logging.getLogger("headwater.writer")


class TransientWriteError(Exception):
    """A write that may succeed if tried again (raised by clients)."""


class BatchingWriter:
    def __init__(
        self,
        client_factory: Callable[[], Any],
        *,
        flush_seconds: float = 0.2,
        batch_size: int = 1000,
        max_pending: int | None = None,
    ) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        #: Queued records beyond which a producer waits (see ``_wait_for_room``).
        self.max_pending = max_pending or max(20 * batch_size, 1000)
        self._queue: deque[tuple[int, Any]] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self._failures = 0
        self.last_error: BaseException | None = None
        self.dropped = 0

    # -- hot path -------------------------------------------------------------------
    def put_task_run(self, record: TaskRunRecord) -> None:
        queue = self._queue
        queue.append((_TASK_RUN, record))
        if not self._running:
            self._start()
        elif len(queue) >= self.batch_size:
            self._wake.set()
            if len(queue) >= self.max_pending:
                self._wait_for_room()

    def _wait_for_room(self) -> None:
        """Backpressure: a flow producing records faster than the writer can store
        them (it holds the GIL) waits until half the backlog is written, so memory
        stays bounded.  Not while the store is failing: then the writer buffers, so a
        flow keeps going through a server restart."""
        target = self.max_pending // 2
        while len(self._queue) > target and not self._failures and self._running:
            self._wake.set()
            time.sleep(0.002)  # releases the GIL to the writer thread

    def put_log(self, record: LogRecord) -> None:
        self._queue.append((_LOG, record))
        if not self._running:
            self._start()

    # -- control --------------------------------------------------------------------
    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every record queued so far is written; False on timeout."""
        if not self._queue:
            return True
        done = threading.Event()
        self._queue.append((_MARKER, done))
        if not self._running:
            self._start()
        self._wake.set()
        return done.wait(timeout)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
            thread = threading.Thread(target=self._run, name="headwater-writer", daemon=True)
            thread.start()

    # -- writer thread --------------------------------------------------------------
    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._queue:
                self._drain()
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > _IDLE_EXIT_SECONDS:
                with self._lock:
                    self._running = False
                    if not self._queue:
                        return
                    self._running = True

    def _drain(self) -> None:
        queue = self._queue
        # A client may take bigger batches than the store's default (the HTTP client
        # pipelines a big batch in chunks; small batches would leave the server idle
        # between them).
        while queue:
            limit = getattr(self._client, "max_batch_items", None) or self.batch_size * 5
            task_runs: dict[Any, TaskRunRecord] = {}
            logs: list[LogRecord] = []
            markers: list[threading.Event] = []
            count = 0
            while queue and count < limit:
                kind, item = queue.popleft()
                if kind == _TASK_RUN:
                    task_runs[item["id"]] = item
                elif kind == _LOG:
                    logs.append(item)
                else:
                    markers.append(item)
                    break  # write what came before the marker, then release it
                count += 1
            if (task_runs or logs) and not self._write(list(task_runs.values()), logs):
                # Put the batch back in front and try again after a pause.
                for marker in reversed(markers):
                    queue.appendleft((_MARKER, marker))
                for log in reversed(logs):
                    queue.appendleft((_LOG, log))
                for record in reversed(list(task_runs.values())):
                    queue.appendleft((_TASK_RUN, record))
                time.sleep(min(_MAX_BACKOFF_SECONDS, 0.05 * 2**self._failures))
                continue
            for marker in markers:
                marker.set()

    def _write(self, task_runs: list[TaskRunRecord], logs: list[LogRecord]) -> bool:
        """True when the batch is done with (written, or dropped as unwritable)."""
        try:
            if self._client is None:
                self._client = self._client_factory()
            self._client.write_batch(task_runs, logs)
        except TransientWriteError as exc:
            self._failures += 1
            self.last_error = exc
            if self._failures in (1, 10) or self._failures % 100 == 0:
                logger.warning("cannot write run records yet (will retry): %s", exc)
            return False
        except Exception as exc:
            self.last_error = exc
            self.dropped += len(task_runs) + len(logs)
            logger.error(
                "dropped %d run records that the store refused: %s",
                len(task_runs) + len(logs),
                exc,
            )
            self._failures = 0
            return True
        self._failures = 0
        return True


_writers: dict[str, BatchingWriter] = {}
_writers_lock = threading.Lock()


def get_writer(key: str, client_factory: Callable[[], Any]) -> BatchingWriter:
    """The process's writer for one store (``key`` names it: a URL)."""
    writer = _writers.get(key)
    if writer is None:
        from headwater.settings import get_settings

        settings = get_settings()
        with _writers_lock:
            writer = _writers.get(key)
            if writer is None:
                writer = _writers[key] = BatchingWriter(
                    client_factory,
                    flush_seconds=settings.writer_flush_seconds,
                    batch_size=settings.writer_batch_size,
                )
    return writer


def forget_writer(key: str) -> None:
    """Stop handing out the writer for ``key`` (after flushing it)."""
    with _writers_lock:
        writer = _writers.pop(key, None)
    if writer is not None:
        writer.flush(10)


def flush_all(timeout: float = 30.0) -> bool:
    """Flush every writer in the process (at exit, and by tests)."""
    deadline = time.monotonic() + timeout
    ok = True
    for writer in list(_writers.values()):
        ok = writer.flush(max(0.0, deadline - time.monotonic())) and ok
    return ok


atexit.register(flush_all)
