"""Records of a remote task call that travel back with its outcome.

A far side (a worker process, a Ray or Dask worker) that wrote its records itself and
waited for them before answering paid a store write per task run (milliseconds),
and two workers on one SQLite file queued for its lock.  Instead, a call's task-run
records, logs and artifacts are collected here and sent back with the outcome; the
caller hands them to the flow run's own batching writer, which writes them with
everything else the flow run writes.

A call that runs long (``PASS_THROUGH_AFTER`` seconds) should show its state and
logs while it runs: a watchdog thread switches its collector to pass-through, the
records so far go to the far side's writer in order, later ones follow them, and the
far side flushes that writer before answering.  Either every record of a call
travels back, or every one went through the far side's writer: never a mix, so the
store sees a run's states in order.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import Any

#: A call running longer than this (seconds) writes its records from the far side.
PASS_THROUGH_AFTER = 1.0

#: (writer method, record) in the order they were put.
Collected = list[tuple[str, Any]]


class RecordCollector:
    """Stands in for the far side's batching writer during one call."""

    __slots__ = ("__weakref__", "_lock", "_passing", "_records", "started", "writer")

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.started = time.monotonic()
        self._records: Collected = []
        self._passing = False
        self._lock = threading.Lock()
        _watch(self)

    # -- the writer's interface, as the engine, loggers and artifacts use it ---------
    def put_task_run(self, record: Any) -> None:
        self._put("put_task_run", record)

    def put_log(self, record: Any) -> None:
        self._put("put_log", record)

    def put_artifact(self, record: Any) -> None:
        self._put("put_artifact", record)

    def put_event(self, record: Any) -> None:
        self.writer.put_event(record)

    def put_transaction(self, record: Any) -> None:
        self.writer.put_transaction(record)  # transactions stay on the side they ran

    def watch_transaction(self, entry: Any) -> None:
        self.writer.watch_transaction(entry)

    def flush(self, timeout: float | None = 30.0) -> bool:
        self.pass_through()
        return bool(self.writer.flush(timeout))

    def __getattr__(self, name: str) -> Any:  # pending_for, dropped_for, ...
        return getattr(self.writer, name)

    # -- the call's end ---------------------------------------------------------------
    @property
    def passing(self) -> bool:
        """Whether records go through the far side's writer (the call ran long)."""
        return self._passing

    def pass_through(self) -> None:
        """From now on records go to the far side's writer, those so far first."""
        with self._lock:
            if self._passing:
                return
            self._passing = True
            records, self._records = self._records, []
            for method, record in records:  # under the lock: nothing overtakes them
                getattr(self.writer, method)(record)
        _watched.discard(self)

    def take(self) -> Collected | None:
        """At the end of the call: its records to send back, or None when they went
        through the far side's writer.  Records put later (a task run the call left
        going) go through the writer."""
        with self._lock:
            _watched.discard(self)
            if self._passing:
                return None
            self._passing = True
            records, self._records = self._records, []
        return records

    def _put(self, method: str, record: Any) -> None:
        with self._lock:
            if not self._passing:
                self._records.append((method, record))
                return
        getattr(self.writer, method)(record)


def hand_over(records: Collected, writer: Any) -> None:
    """The caller's side: give a call's records to the flow run's writer, in order."""
    for method, record in records:
        getattr(writer, method)(record)


# -- the watchdog -----------------------------------------------------------------------

_watched: weakref.WeakSet[RecordCollector] = weakref.WeakSet()
_watchdog: list[threading.Thread] = []
_watchdog_lock = threading.Lock()


def _watch(collector: RecordCollector) -> None:
    _watched.add(collector)
    if not _watchdog:
        with _watchdog_lock:
            if not _watchdog:
                thread = threading.Thread(
                    target=_patrol, name="headwater-record-collector", daemon=True
                )
                _watchdog.append(thread)
                thread.start()


def _forget_watchdog() -> None:
    """A forked child has no watchdog thread (and none of the parent's calls)."""
    _watchdog.clear()
    _watched.clear()


os.register_at_fork(after_in_child=_forget_watchdog)


def _patrol() -> None:
    """Switch calls that run long to pass-through (a few times a second)."""
    while True:
        time.sleep(PASS_THROUGH_AFTER / 4)
        now = time.monotonic()
        for collector in list(_watched):
            if now - collector.started >= PASS_THROUGH_AFTER:
                collector.pass_through()
