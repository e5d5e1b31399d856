"""The records of a remote task call: collected and sent back, or written from the
far side once the call runs long (in order, never both)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater.task_runners import record_collector
from headwater.task_runners.record_collector import RecordCollector, hand_over


class Written:
    """A writer that keeps what it is given (the far side's or the caller's)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, Any]] = []
        self.flushes = 0

    def put_task_run(self, record: Any) -> None:
        self.records.append(("put_task_run", record))

    def put_log(self, record: Any) -> None:
        self.records.append(("put_log", record))

    def put_artifact(self, record: Any) -> None:
        self.records.append(("put_artifact", record))

    def put_event(self, record: Any) -> None:
        self.records.append(("put_event", record))

    def flush(self, timeout: float | None = 30.0) -> bool:
        self.flushes += 1
        return True

    def pending_for(self, flow_run_id: Any) -> int:
        return 7


def test_a_short_call_sends_every_record_back_in_order() -> None:
    far = Written()
    collector = RecordCollector(far)
    collector.put_task_run("running")
    collector.put_log("a line")
    collector.put_artifact("a table")
    collector.put_task_run("completed")
    collector.put_event("an event")  # events go out from the far side as they come
    records = collector.take()
    assert records == [
        ("put_task_run", "running"),
        ("put_log", "a line"),
        ("put_artifact", "a table"),
        ("put_task_run", "completed"),
    ]
    assert far.records == [("put_event", "an event")]
    near = Written()
    hand_over(records, near)
    assert near.records == records
    collector.put_log("after the end")  # a task run the call left going
    assert far.records[-1] == ("put_log", "after the end")
    assert collector.pending_for(None) == 7  # the rest of the writer's interface


def test_a_call_switched_to_pass_through_writes_from_the_far_side_in_order() -> None:
    far = Written()
    collector = RecordCollector(far)
    collector.put_task_run("running")
    collector.put_log("one")
    collector.pass_through()
    collector.put_log("two")
    collector.put_task_run("completed")
    assert collector.take() is None
    assert [r for _, r in far.records] == ["running", "one", "two", "completed"]


def test_flushing_inside_a_call_passes_through_first() -> None:
    far = Written()
    collector = RecordCollector(far)
    collector.put_log("before")
    assert collector.flush() is True
    assert far.records == [("put_log", "before")] and far.flushes == 1
    assert collector.take() is None


def test_the_watchdog_switches_a_long_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_collector, "PASS_THROUGH_AFTER", 0.2)
    far = Written()
    collector = RecordCollector(far)
    collector.started -= 10  # as if it began long ago
    collector.put_task_run("running")
    deadline = time.monotonic() + 20  # the watchdog looks a few times a second
    while not collector.passing and time.monotonic() < deadline:
        time.sleep(0.02)
    assert collector.passing
    assert far.records == [("put_task_run", "running")]
    assert collector.take() is None
