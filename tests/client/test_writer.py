"""The batching writer: batches, collapses updates, flushes, retries transient errors."""

from __future__ import annotations

import threading
import time
from typing import Any

from headwater.client.writer import BatchingWriter, TransientWriteError


class RecordingClient:
    def __init__(self, fail_times: int = 0, error: type[Exception] = TransientWriteError) -> None:
        self.batches: list[tuple[list[Any], list[Any]]] = []
        self.fail_times = fail_times
        self.error = error
        self.lock = threading.Lock()

    def write_batch(self, task_runs: list[Any], logs: list[Any]) -> None:
        with self.lock:
            if self.fail_times:
                self.fail_times -= 1
                raise self.error("store unavailable")
            self.batches.append((task_runs, logs))

    @property
    def task_runs(self) -> list[Any]:
        return [r for batch in self.batches for r in batch[0]]


def _writer(client: RecordingClient, **kw: Any) -> BatchingWriter:
    return BatchingWriter(lambda: client, **{"flush_seconds": 0.02, "batch_size": 10, **kw})


def test_flush_writes_everything_queued_and_collapses_updates() -> None:
    client = RecordingClient()
    writer = _writer(client, flush_seconds=10)
    for i in range(5):
        writer.put_task_run({"id": i, "v": "running"})  # type: ignore[typeddict-item]
        writer.put_task_run({"id": i, "v": "done"})  # type: ignore[typeddict-item]
    writer.put_log({"id": "log"})  # type: ignore[typeddict-item]
    assert writer.flush(5)
    assert sorted((r["id"], r["v"]) for r in client.task_runs) == [(i, "done") for i in range(5)]
    assert client.batches[0][1] == [{"id": "log"}]


def test_background_flush_by_time_and_size() -> None:
    client = RecordingClient()
    writer = _writer(client)
    writer.put_task_run({"id": 1})  # type: ignore[typeddict-item]
    deadline = time.monotonic() + 5
    while not client.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.task_runs == [{"id": 1}]
    for i in range(100):
        writer.put_task_run({"id": i + 10})  # type: ignore[typeddict-item]
    writer.flush(5)
    assert len(client.task_runs) == 101


def test_transient_errors_keep_records_until_written() -> None:
    client = RecordingClient(fail_times=3)
    writer = _writer(client)
    writer.put_task_run({"id": 1})  # type: ignore[typeddict-item]
    assert writer.flush(10)
    assert client.task_runs == [{"id": 1}]
    assert writer.dropped == 0


def test_permanent_errors_drop_the_batch_and_say_so() -> None:
    client = RecordingClient(fail_times=1, error=ValueError)
    writer = _writer(client)
    writer.put_task_run({"id": 1})  # type: ignore[typeddict-item]
    assert writer.flush(5)
    assert writer.dropped == 1
    assert isinstance(writer.last_error, ValueError)
    writer.put_task_run({"id": 2})  # type: ignore[typeddict-item]
    writer.flush(5)
    assert client.task_runs == [{"id": 2}]


def test_flush_times_out_while_the_store_is_down() -> None:
    client = RecordingClient(fail_times=10_000)
    writer = _writer(client)
    writer.put_task_run({"id": 1})  # type: ignore[typeddict-item]
    assert writer.flush(0.2) is False
    client.fail_times = 0
    assert writer.flush(10)
    assert client.task_runs == [{"id": 1}]


def test_a_fast_producer_waits_for_the_writer() -> None:
    class SlowClient(RecordingClient):
        def write_batch(self, task_runs: list[Any], logs: list[Any]) -> None:
            time.sleep(0.001 * len(task_runs) / 100)
            super().write_batch(task_runs, logs)

    client = SlowClient()
    writer = _writer(client, batch_size=50, max_pending=500)
    most = 0
    for i in range(5000):
        writer.put_task_run({"id": i})  # type: ignore[typeddict-item]
        most = max(most, writer.pending)
    assert most <= 500 + 1
    assert writer.flush(10)
    assert len(client.task_runs) == 5000


def test_no_backpressure_while_the_store_is_failing() -> None:
    client = RecordingClient(fail_times=10_000)
    writer = _writer(client, batch_size=10, max_pending=100)
    writer.put_task_run({"id": -1})  # type: ignore[typeddict-item]
    deadline = time.monotonic() + 5
    while not writer._failures and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    for i in range(1000):
        writer.put_task_run({"id": i})  # type: ignore[typeddict-item]
    assert time.monotonic() - started < 1  # buffered, not blocked
    client.fail_times = 0
    assert writer.flush(10)
    assert len(client.task_runs) == 1001
