"""The batching writer: task-run records, logs, artifacts and flow runs' transactions
reach the store in bulk.

The engine appends records to a deque (a few hundred nanoseconds, no lock); a
background thread writes them every ``writer_flush_seconds`` or as soon as
``writer_batch_size`` are waiting.  Several records for one task run in a batch
collapse into the newest (so do several records of one transaction).

``flush()`` returns True only once every record put before it is durable: it queues a
marker that the thread releases after writing everything ahead of it, including a
batch it had already taken off the queue.  A failed write is retried with backoff
(the records stay queued) when the error is transient (store locked, server
unreachable or busy).  A permanent error (disk full, read-only store, schema
mismatch, a record the store refuses) drops the batch; the writer counts what it
dropped per flow run (``dropped_for``), so the engine never reports a run Completed
whose records were not all written.  At exit the writer is flushed and its thread
joined; records that still cannot be written are reported in one line on stderr.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from headwater.schemas.records import LogRecord, TaskRunRecord

if TYPE_CHECKING:
    from headwater.schemas.artifacts import ArtifactRecord
    from headwater.schemas.transactions import TransactionRecord
    from headwater.transactions.recording import Entry

_TASK_RUN = 0
_LOG = 1
_MARKER = 2
_ARTIFACT = 3
_EVENT = 4
_TRANSACTION = 5

_IDLE_EXIT_SECONDS = 5.0
_MAX_BACKOFF_SECONDS = 5.0

logger = logging.getLogger("headwater.writer")


class TransientWriteError(Exception):
    """A write that may succeed if tried again (raised by clients)."""


class RecordsRefused(Exception):
    """Some records of a batch were refused for good (the rest was written)."""

    def __init__(self, records: list[Any], reason: str) -> None:
        super().__init__(f"{len(records)} records refused: {reason}")
        self.records = records
        self.reason = reason


class _Flush:
    """A marker in the queue: set once everything queued before it was handled."""

    __slots__ = ("done", "dropped_before", "ok")

    def __init__(self, dropped_before: int) -> None:
        self.done = threading.Event()
        self.dropped_before = dropped_before
        self.ok = False


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
        #: Open transactions (``watch_transaction``), looked at once each at a write.
        self._watched: deque[Entry] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self._closing = False
        #: Set at exit once the records left were given up: nothing is retried any more.
        self._abandoned = False
        self._thread: threading.Thread | None = None
        #: True while the thread holds records it took off the queue (set before it
        #: takes them): ``flush`` may skip the marker only when the queue is empty and
        #: nothing is in flight.
        self._busy = False
        #: The records the thread is writing now (counted as pending).
        self._in_flight: list[Any] = []
        self._failures = 0
        self.last_error: BaseException | None = None
        #: Records dropped as unwritable, in all and per flow run (None: no flow run).
        self.dropped = 0
        self._dropped_by_run: dict[Any, int] = {}

    # -- hot path -------------------------------------------------------------------
    def put_task_run(self, record: TaskRunRecord) -> None:
        """Queue ``record`` for the store, taking it over: nobody changes it afterwards
        (the rule is on ``TaskRunRecord``; hand over a copy of a run that moves on)."""
        queue = self._queue
        queue.append((_TASK_RUN, record))
        if not self._running:
            self._start()
        elif len(queue) >= self.batch_size:
            # Setting a set event still takes its lock: while the thread writes a
            # batch, every record put would pay for that.
            if not self._wake.is_set():
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

    def put_artifact(self, record: ArtifactRecord) -> None:
        """Queue an artifact (or a progress update: ``op == "update"``); written after
        the task runs and logs of the same batch, in the order put."""
        self._queue.append((_ARTIFACT, record))
        if not self._running:
            self._start()

    def put_event(self, record: dict[str, Any]) -> None:
        """Queue an event record (``Event.to_record()``) for the store."""
        self._queue.append((_EVENT, record))
        if not self._running:
            self._start()

    def put_transaction(self, record: TransactionRecord | Entry) -> None:
        """Queue a transaction's record (the newest of one transaction in a batch
        wins), taking it over; an ``Entry`` is built into one on the writer's thread
        (see ``headwater.transactions.recording``)."""
        self._queue.append((_TRANSACTION, record))
        if not self._running:
            self._start()

    def watch_transaction(self, entry: Entry) -> None:
        """An open transaction: recorded as open at each write while it has not ended
        and has changed (a short one costs only its end's record)."""
        self._watched.append(entry)
        if not self._running:
            self._start()

    # -- control --------------------------------------------------------------------
    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every record put so far is written.  False when the wait timed
        out, or when a record still pending at the call was dropped as unwritable
        (records dropped earlier are counted by ``dropped_for``)."""
        if not self._queue and not self._busy:
            return True  # nothing queued, nothing in flight: all handled already
        marker = _Flush(self.dropped)
        self._queue.append((_MARKER, marker))
        if not self._running:
            self._start()
        if not self._running:  # no thread can be started (interpreter shutting down)
            self._drain()
        self._wake.set()
        return marker.done.wait(timeout) and marker.ok

    @property
    def pending(self) -> int:
        """Records not yet written: queued, or being written by the thread."""
        return sum(1 for _ in self._unwritten())

    def pending_for(self, flow_run_id: Any) -> int:
        """Records of this flow run not yet written."""
        return sum(1 for record in self._unwritten() if _flow_run_of(record) == flow_run_id)

    def _unwritten(self) -> Iterable[Any]:
        yield from self._in_flight
        for kind, item in list(self._queue):
            if kind != _MARKER:
                yield item

    def dropped_for(self, flow_run_id: Any) -> int:
        """Records of this flow run (its task runs and logs) dropped as unwritable."""
        return self._dropped_by_run.get(flow_run_id, 0)

    def close(self, timeout: float = 30.0) -> bool:
        """Flush, then stop the thread and join it; True when everything was written."""
        if self._abandoned:
            return False
        deadline = time.monotonic() + timeout
        ok = self.flush(timeout)
        self._closing = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        return ok

    def abandon(self) -> int:
        """Give up on the records not yet written, for good (at exit, once the store
        had its time): they count as dropped, and a write in flight that fails is not
        retried.  How many there were."""
        if self._abandoned:
            return 0
        self._abandoned = True
        left = [*self._in_flight, *(item for kind, item in self._queue if kind != _MARKER)]
        markers = [item for kind, item in self._queue if kind == _MARKER]
        self._queue.clear()
        self._count_dropped(left)
        for marker in markers:
            marker.done.set()  # ok stays False
        return len(left)

    def _start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._closing = False
            thread = threading.Thread(target=self._run, name="headwater-writer", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # at interpreter shutdown: flush() drains inline
                return
            self._running = True
            self._thread = thread

    # -- writer thread --------------------------------------------------------------
    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._queue or (self._watched and not self._closing):
                self._drain()
                idle_since = time.monotonic()
            elif self._closing or time.monotonic() - idle_since > _IDLE_EXIT_SECONDS:
                with self._lock:
                    self._running = False
                    if not self._queue:
                        return
                    self._running = True

    def _drain(self) -> None:
        queue = self._queue
        self._busy = True  # before taking anything: see ``flush``
        try:
            self._drain_one(queue, watch=True)
            while queue:
                self._drain_one(queue)
        finally:
            self._busy = False

    def _drain_one(self, queue: deque[tuple[int, Any]], watch: bool = False) -> None:
        # A client may take bigger batches than the store's default (the HTTP client
        # pipelines a big batch in chunks; small batches would leave the server idle
        # between them).
        limit = getattr(self._client, "max_batch_items", None) or self.batch_size * 5
        task_runs: dict[Any, TaskRunRecord] = {}
        logs: list[LogRecord] = []
        artifacts: list[ArtifactRecord] = []
        events: list[dict[str, Any]] = []
        transactions: dict[Any, Any] = {}
        if watch:  # open transactions: recorded as they are now if that says more
            watched = self._watched
            for _ in range(len(watched)):
                entry = watched.popleft()
                if entry.ended():
                    continue  # its end is queued
                watched.append(entry)
                if entry.changed():
                    transactions[entry.key] = entry
        markers: list[_Flush] = []
        count = 0
        while queue and count < limit:
            kind, item = queue.popleft()
            if kind == _TASK_RUN:
                task_runs[item.id] = item
            elif kind == _LOG:
                logs.append(item)
            elif kind == _ARTIFACT:
                artifacts.append(item)
            elif kind == _EVENT:
                events.append(item)
            elif kind == _TRANSACTION:
                key = item["id"] if isinstance(item, dict) else item.key
                transactions.pop(key, None)  # the newest goes last, in order
                transactions[key] = item
            else:
                markers.append(item)
                break  # write what came before the marker, then release it
            count += 1
        records = list(task_runs.values())
        txns = _built(transactions.values())
        self._in_flight = [*records, *logs, *artifacts, *events, *txns]
        try:
            written = not (records or logs or artifacts or events or txns) or self._write(
                records, logs, artifacts, events, txns
            )
        finally:
            self._in_flight = []
        if not written and self._abandoned:  # given up at exit (counted there)
            for marker in markers:
                marker.done.set()
            return
        if not written:
            # Put the batch back in front and try again after a pause.
            for marker in reversed(markers):
                queue.appendleft((_MARKER, marker))
            for txn in reversed(txns):
                queue.appendleft((_TRANSACTION, txn))
            for event in reversed(events):
                queue.appendleft((_EVENT, event))
            for artifact in reversed(artifacts):
                queue.appendleft((_ARTIFACT, artifact))
            for log in reversed(logs):
                queue.appendleft((_LOG, log))
            for record in reversed(records):
                queue.appendleft((_TASK_RUN, record))
            time.sleep(min(_MAX_BACKOFF_SECONDS, 0.05 * 2**self._failures))
            return
        for marker in markers:
            marker.ok = self.dropped == marker.dropped_before
            marker.done.set()

    def _write(
        self,
        task_runs: list[TaskRunRecord],
        logs: list[LogRecord],
        artifacts: list[ArtifactRecord] | None = None,
        events: list[dict[str, Any]] | None = None,
        transactions: list[TransactionRecord] | None = None,
    ) -> bool:
        """True when the batch is done with (written, or dropped as unwritable).  A
        batch tried again writes its task runs, logs, artifacts and transactions again:
        all are idempotent (upserts, ids, updates that never go back in time)."""
        try:
            if self._client is None:
                self._client = self._client_factory()
            refused: list[RecordsRefused] = []
            together = getattr(self._client, "write_batch_and_transactions", None)
            if transactions and together is not None:  # one store transaction for all
                try:
                    together(task_runs, logs, events or (), transactions)
                except RecordsRefused as exc:
                    refused.append(exc)
            elif task_runs or logs or events:
                try:
                    if events:
                        self._client.write_batch(task_runs, logs, events=events)
                    else:
                        self._client.write_batch(task_runs, logs)
                except RecordsRefused as exc:
                    refused.append(exc)  # the rest is written: go on to the artifacts
            if transactions and together is None:
                try:
                    self._client.write_transactions(transactions)
                except RecordsRefused as exc:
                    refused.append(exc)
                except TransientWriteError:
                    raise
                except Exception as exc:  # the rest of the batch is written already
                    refused.append(RecordsRefused(list(transactions), f"{exc!r}"))
            if artifacts:
                try:
                    self._client.write_artifacts(artifacts)
                except RecordsRefused as exc:
                    refused.append(exc)
            if refused:
                raise RecordsRefused([r for exc in refused for r in exc.records], refused[0].reason)
        except TransientWriteError as exc:
            self._failures += 1
            self.last_error = exc
            if self._failures in (1, 10) or self._failures % 100 == 0:
                logger.warning("cannot write run records yet (will retry): %s", exc)
            return False
        except RecordsRefused as exc:
            self._failures = 0
            self._drop(exc.records, exc)
            return True
        except Exception as exc:
            self._failures = 0
            everything = [*task_runs, *logs, *(artifacts or ()), *(events or ())]
            self._drop([*everything, *(transactions or ())], exc)
            return True
        self._failures = 0
        return True

    def _drop(self, records: Iterable[Any], exc: Exception) -> None:
        self.last_error = exc
        count = self._count_dropped(records)
        logger.error("dropped %d run records that the store refused: %s", count, exc)

    def _count_dropped(self, records: Iterable[Any]) -> int:
        by_run = self._dropped_by_run
        count = 0
        for record in records:
            run_id = _flow_run_of(record)
            by_run[run_id] = by_run.get(run_id, 0) + 1
            count += 1
        self.dropped += count
        return count


def _built(items: Iterable[Any]) -> list[TransactionRecord]:
    """Transaction records from queued records and entries (an entry with nothing to
    say is left out; one that cannot be built is logged and dropped)."""
    records: list[TransactionRecord] = []
    for item in items:
        if isinstance(item, dict):
            records.append(item)  # type: ignore[arg-type]
            continue
        try:
            record = item.build()
        except Exception as exc:  # a record of what happened must not stop the writer
            logger.error("cannot record a transaction: %r", exc)
            continue
        if record is not None:
            records.append(record)
    return records


def _flow_run_of(record: Any) -> Any:
    """The flow run a task-run or log record belongs to (None: none)."""
    if isinstance(record, dict):
        return record.get("flow_run_id")
    return getattr(record, "flow_run_id", None)


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
    """Stop handing out the writer for ``key`` (after flushing it and joining its
    thread)."""
    with _writers_lock:
        writer = _writers.pop(key, None)
    if writer is not None:
        writer.close(10)


def flush_all(timeout: float = 30.0) -> bool:
    """Flush every writer in the process (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    ok = True
    for writer in list(_writers.values()):
        ok = writer.flush(max(0.0, deadline - time.monotonic())) and ok
    return ok


def close_all(timeout: float | None = None) -> bool:
    """At exit: flush every writer and join its thread.  Records that still could not
    be written are reported in one line on stderr and given up (they are lost with the
    process)."""
    if timeout is None:
        timeout = _exit_timeout()
    deadline = time.monotonic() + timeout
    ok = True
    for key, writer in list(_writers.items()):
        if writer.close(max(0.0, deadline - time.monotonic())):
            continue
        ok = False
        reason = writer.last_error or "the store did not answer in time"
        left = writer.abandon()
        if left:
            sys.stderr.write(
                f"headwater: error: {left} run records could not be written to "
                f"{_display(key)} before exit: {reason}\n"
            )
    return ok


def _exit_timeout() -> float:
    from headwater.settings import get_settings

    try:
        return get_settings().api_retry_seconds
    except Exception:  # unreadable settings at exit: the default
        return 30.0


def _display(key: str) -> str:
    return key[len("api:") :] if key.startswith("api:") else key


atexit.register(close_all)
