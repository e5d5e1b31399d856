"""The batching writer: batches, collapses updates, flushes, retries transient errors,
counts what it drops, and loses nothing in flight at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

from headwater.client.writer import BatchingWriter, RecordsRefused, TransientWriteError
from headwater.schemas.records import TaskRunRecord, new_task_run_record, transition
from headwater.states import StateType


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


def _record(run: Any, state: str = "Pending", *, flow_run_id: Any = None) -> TaskRunRecord:
    """A task run's record (ids are small ints here: the writer only keys by them)."""
    record = new_task_run_record(run, flow_run_id, "t", "0", "t-0", [], 1, time.time())
    if state != "Pending":
        transition(record, StateType.RUNNING, "Running")
    if state == "Completed":
        transition(record, StateType.COMPLETED, "Completed")
    return record


def _writer(client: RecordingClient, **kw: Any) -> BatchingWriter:
    return BatchingWriter(lambda: client, **{"flush_seconds": 0.02, "batch_size": 10, **kw})


def test_flush_writes_everything_queued_and_collapses_updates() -> None:
    client = RecordingClient()
    writer = _writer(client, flush_seconds=10)
    for i in range(5):
        writer.put_task_run(_record(i, "Running"))
        writer.put_task_run(_record(i, "Completed"))
    writer.put_log({"id": "log"})  # type: ignore[typeddict-item]
    assert writer.flush(5)
    assert sorted((r.id, r.state_name) for r in client.task_runs) == [
        (i, "Completed") for i in range(5)
    ]
    assert client.batches[0][1] == [{"id": "log"}]


def test_background_flush_by_time_and_size() -> None:
    client = RecordingClient()
    writer = _writer(client)
    writer.put_task_run(_record(1))
    deadline = time.monotonic() + 5
    while not client.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.id for r in client.task_runs] == [1]
    for i in range(100):
        writer.put_task_run(_record(i + 10))
    writer.flush(5)
    assert len(client.task_runs) == 101


def test_transient_errors_keep_records_until_written() -> None:
    client = RecordingClient(fail_times=3)
    writer = _writer(client)
    writer.put_task_run(_record(1))
    assert writer.flush(10)
    assert [r.id for r in client.task_runs] == [1]
    assert writer.dropped == 0


def test_permanent_errors_drop_the_batch_count_it_per_flow_run_and_fail_the_flush() -> None:
    client = RecordingClient(fail_times=1, error=ValueError)
    writer = _writer(client, flush_seconds=10)
    writer.put_task_run(_record(1, flow_run_id="a"))
    writer.put_log({"id": "l", "flow_run_id": "a"})  # type: ignore[typeddict-item]
    writer.put_task_run(_record(2, flow_run_id=None))
    assert writer.flush(5) is False  # not everything before it was written
    assert (writer.dropped, writer.dropped_for("a"), writer.dropped_for(None)) == (3, 2, 1)
    assert writer.dropped_for("b") == 0
    assert isinstance(writer.last_error, ValueError)
    writer.put_task_run(_record(3))
    assert writer.flush(5)  # a later batch is written again
    assert [r.id for r in client.task_runs] == [3]


def test_records_refused_one_by_one_are_the_only_ones_counted() -> None:
    class RefusingClient(RecordingClient):
        def write_batch(self, task_runs: list[Any], logs: list[Any]) -> None:
            super().write_batch([r for r in task_runs if r.id != 2], logs)
            raise RecordsRefused([r for r in task_runs if r.id == 2], "invalid")

    client = RefusingClient()
    writer = _writer(client, flush_seconds=10)
    for i in range(3):
        writer.put_task_run(_record(i, flow_run_id="a"))
    assert writer.flush(5) is False
    assert writer.dropped_for("a") == 1
    assert sorted(r.id for r in client.task_runs) == [0, 1]


class BlockingClient(RecordingClient):
    """Holds every write until ``release`` is set (a store that is slow right now)."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.release = threading.Event()

    def write_batch(self, task_runs: list[Any], logs: list[Any]) -> None:
        self.writing.set()
        assert self.release.wait(10)
        super().write_batch(task_runs, logs)


def test_flush_waits_for_the_batch_the_thread_is_writing() -> None:
    client = BlockingClient()
    writer = _writer(client)
    for i in range(5):
        writer.put_task_run(_record(i))
    assert client.writing.wait(5)  # the thread took the batch: the queue is empty
    assert writer.pending == 5
    assert writer.flush(0.2) is False  # in flight is not durable
    flushed: list[bool] = []
    waiter = threading.Thread(target=lambda: flushed.append(writer.flush(10)))
    waiter.start()
    time.sleep(0.05)
    assert flushed == []  # still waiting for the write in flight
    client.release.set()
    waiter.join(10)
    assert flushed == [True]
    assert len(client.task_runs) == 5
    assert writer.pending == 0


def test_close_flushes_and_joins_the_thread() -> None:
    client = RecordingClient()
    writer = _writer(client)
    writer.put_task_run(_record(1))
    thread = writer._thread
    assert thread is not None
    assert writer.close(5)
    assert not thread.is_alive()
    assert [r.id for r in client.task_runs] == [1]
    writer.put_task_run(_record(2))  # a record after close starts a new thread
    assert writer.flush(5)
    assert len(client.task_runs) == 2


def test_flush_times_out_while_the_store_is_down() -> None:
    client = RecordingClient(fail_times=10_000)
    writer = _writer(client)
    writer.put_task_run(_record(1))
    assert writer.flush(0.2) is False
    client.fail_times = 0
    assert writer.flush(10)
    assert [r.id for r in client.task_runs] == [1]


def test_a_fast_producer_waits_for_the_writer() -> None:
    class SlowClient(RecordingClient):
        def write_batch(self, task_runs: list[Any], logs: list[Any]) -> None:
            time.sleep(0.001 * len(task_runs) / 100)
            super().write_batch(task_runs, logs)

    client = SlowClient()
    writer = _writer(client, batch_size=50, max_pending=500)
    records = [_record(i) for i in range(5000)]  # made first: the producer is fast
    most = 0
    for record in records:
        writer.put_task_run(record)
        most = max(most, writer.pending)
    assert most <= 500 + 1 + 5 * 50  # the queue's bound, plus one batch in flight
    assert writer.flush(10)
    assert len(client.task_runs) == 5000


def test_no_backpressure_while_the_store_is_failing() -> None:
    client = RecordingClient(fail_times=10_000)
    writer = _writer(client, batch_size=10, max_pending=100)
    writer.put_task_run(_record(-1))
    deadline = time.monotonic() + 5
    while not writer._failures and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    for i in range(1000):
        writer.put_task_run(_record(i))
    assert time.monotonic() - started < 1  # buffered, not blocked
    client.fail_times = 0
    assert writer.flush(10)
    assert len(client.task_runs) == 1001


_EXIT_SCRIPT = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from headwater.client.writer import TransientWriteError, close_all, get_writer
    from headwater.schemas.records import new_task_run_record

    out, mode = sys.argv[1], sys.argv[2]
    writing = threading.Event()

    class SlowStore:
        def write_batch(self, task_runs, logs):
            writing.set()
            if mode == "down":
                raise TransientWriteError("the store is down")
            time.sleep(0.5)  # still writing when the script ends
            with open(out, "a") as handle:
                handle.writelines(f"{r.id}\\n" for r in task_runs)

    writer = get_writer("test:slow", SlowStore)
    atexit.register(close_all)  # as close_shared_clients does: a second close says nothing
    for i in range(300):
        writer.put_task_run(new_task_run_record(i, None, "t", "0", "t-0", [], 1, time.time()))
    writing.wait(5)
    """
)


def _run_exit_script(tmp_path: Path, mode: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    script = tmp_path / "exit_script.py"
    script.write_text(_EXIT_SCRIPT)
    out = tmp_path / "written.txt"
    env = {"HEADWATER_HOME": str(tmp_path / "home"), "HEADWATER_API_RETRY_SECONDS": "1"}
    done = subprocess.run(
        [sys.executable, str(script), str(out), mode],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_base_env(), **env},
    )
    return done, out


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}


def test_exit_waits_for_the_batch_in_flight(tmp_path: Path) -> None:
    done, out = _run_exit_script(tmp_path, "slow")
    assert done.returncode == 0, done.stderr
    assert sorted(int(line) for line in out.read_text().split()) == list(range(300))


def test_exit_says_how_many_records_could_not_be_written(tmp_path: Path) -> None:
    done, out = _run_exit_script(tmp_path, "down")
    assert not out.exists()
    lines = [line for line in done.stderr.splitlines() if line.startswith("headwater: error")]
    assert lines == [
        "headwater: error: 300 run records could not be written to test:slow before exit: "
        "the store is down"
    ], done.stderr
