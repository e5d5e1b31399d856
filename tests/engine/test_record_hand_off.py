"""The hand-off rule of task-run records (``TaskRunRecord``): once the engine gives a
record to the batching writer, nothing changes that object again, through retries,
upstream failures, subflows, mapped runs and a crash with tasks still running."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from headwater import flow, task
from headwater.client.writer import BatchingWriter, flush_all
from headwater.schemas.records import TaskRunRecord
from tests.helpers import task_runs_of


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> list[tuple[TaskRunRecord, dict[str, Any]]]:
    """Every record given to a writer, with a deep snapshot taken at the hand-off."""
    seen: list[tuple[TaskRunRecord, dict[str, Any]]] = []
    original = BatchingWriter.put_task_run

    def spy(self: BatchingWriter, record: TaskRunRecord) -> None:
        assert isinstance(record, TaskRunRecord)
        seen.append((record, copy.deepcopy(record.to_dict())))
        original(self, record)

    monkeypatch.setattr(BatchingWriter, "put_task_run", spy)
    return seen


def _unchanged(seen: list[tuple[TaskRunRecord, dict[str, Any]]]) -> list[str]:
    flush_all()
    return [
        f"{record.name}: {snapshot['state_name']} -> {record.state_name}"
        for record, snapshot in seen
        if record.to_dict() != snapshot
    ]


def test_records_do_not_change_after_the_hand_off(
    handed_over: list[tuple[TaskRunRecord, dict[str, Any]]],
) -> None:
    attempts = {"n": 0}

    @task(retries=2, retry_delay_seconds=0)
    def flaky() -> int:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ValueError("not yet")
        return 1

    @task
    def boom() -> int:
        raise RuntimeError("boom")

    @task
    def after(x: int) -> int:
        return x

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def child() -> int:
        return double(21)

    @flow
    def parent() -> None:
        flaky()
        failed = boom.submit()
        after.submit(failed).wait()
        double.map(range(5)).wait()
        child()

    state = parent(return_state=True)
    assert _unchanged(handed_over) == []
    names = [record.state_name for record, _ in handed_over]
    for expected in ("Retrying", "AwaitingRetry", "NotReady", "Failed", "Completed"):
        assert expected in names
    states = {t.name: t.state.name for t in task_runs_of(state.state_details.flow_run_id)}
    assert states["flaky-0"] == "Completed" and states["after-0"] == "NotReady"
    assert states["child-0"] == "Completed"


def test_a_crash_hands_over_copies_of_the_tasks_still_running(
    handed_over: list[tuple[TaskRunRecord, dict[str, Any]]],
) -> None:
    started = threading.Event()
    release = threading.Event()

    @task
    def slow() -> int:
        started.set()
        release.wait(10)
        return 1

    @flow
    def crashing() -> None:
        slow.submit()
        started.wait(10)
        raise SystemExit(3)

    try:
        with pytest.raises(SystemExit):
            crashing()
        crashed = [r for r, snap in handed_over if snap["state_name"] == "Crashed"]
        assert [r.name for r in crashed] == ["slow-0"]
        live = next(r for r, snap in handed_over if snap["state_name"] == "Running")
        assert crashed[0] is not live and live.state_name == "Running"
    finally:
        release.set()
    assert _unchanged(handed_over) == []
