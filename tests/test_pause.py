"""pause_flow_run / resume_flow_run with and without input (RunInput or a plain type),
bad input refused field by field, timeouts, and send_input / receive_input."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from headwater import flow, task
from headwater.client import shared_client
from headwater.exceptions import NotPausedError, ParameterValidationError
from headwater.flow_runs import (
    PauseError,
    SuspendNotAvailable,
    pause_flow_run,
    resume_flow_run,
    suspend_flow_run,
)
from headwater.input import RunInput, receive_input, send_input
from headwater.states import StateType


class Approval(RunInput):
    approved: bool
    reviewer: str = "ops"
    copies: int = 1


def _run_in_thread(fn: Any, *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def target() -> None:
        out["state"] = fn(*args, return_state=True)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def _wait_paused(flow_name: str, timeout: float = 30) -> Any:
    from headwater.schemas.filters import FlowRunFilter

    client = shared_client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[flow_name])):
            if run.state.type is StateType.PAUSED:
                return run
        time.sleep(0.05)
    raise AssertionError(f"no paused run of {flow_name}")


def test_pause_then_resume_with_input_checked_field_by_field(database_url: str) -> None:
    done: list[str] = []

    @task
    def before() -> str:
        done.append("before")
        return "ok"

    @flow(name=f"approve-{uuid.uuid4().hex[:6]}")
    def approve() -> tuple[bool, str, int]:
        before()
        answer = pause_flow_run(
            wait_for_input=Approval.with_initial_data(description="**Approve?**", copies=2),
            timeout=60,
            poll_interval=1,
        )
        return answer.approved, answer.reviewer, answer.copies

    thread, out = _run_in_thread(approve)
    run = _wait_paused(approve.name)
    pause = shared_client().read_flow_run_pause(run.id)
    assert pause["pause_key"] == "paused-1"
    assert pause["input"]["description"] == "**Approve?**"
    assert set(pause["input"]["schema"]["properties"]) == {"approved", "reviewer", "copies"}
    with pytest.raises(ParameterValidationError) as bad:
        resume_flow_run(run.id, run_input={"approved": "maybe", "copies": "two"})
    fields = {tuple(e["loc"][2:]) for e in bad.value.errors}
    assert fields == {("approved",), ("copies",)}
    assert "approved" in str(bad.value) and "copies" in str(bad.value)
    assert shared_client().read_flow_run(run.id).state.type is StateType.PAUSED  # still
    result = resume_flow_run(run.id, run_input={"approved": True, "reviewer": "ana"})
    assert result.state.type is StateType.RUNNING
    thread.join(30)
    assert out["state"].is_completed()
    assert out["state"].result() == (True, "ana", 2)
    assert done == ["before"]
    with pytest.raises(NotPausedError, match="is not paused"):
        resume_flow_run(run.id)


def test_plain_type_and_no_input(database_url: str) -> None:
    @flow(name=f"count-{uuid.uuid4().hex[:6]}")
    def count() -> int:
        pause_flow_run(timeout=60, poll_interval=1, key="first-look")
        return pause_flow_run(wait_for_input=int, timeout=60, poll_interval=1) * 2

    thread, out = _run_in_thread(count)
    run = _wait_paused(count.name)
    assert shared_client().read_flow_run_pause(run.id)["pause_key"] == "first-look"
    with pytest.raises(Exception, match="does not wait for input"):
        resume_flow_run(run.id, run_input={"value": 1})
    resume_flow_run(run.id)
    time.sleep(0.3)
    run = _wait_paused(count.name)
    with pytest.raises(Exception, match="waits for input"):
        resume_flow_run(run.id)
    resume_flow_run(run.id, run_input={"value": 21})
    thread.join(30)
    assert out["state"].result() == 42


def test_a_pause_that_times_out_fails_the_run(database_url: str) -> None:
    @flow(name=f"forgotten-{uuid.uuid4().hex[:6]}")
    def forgotten() -> None:
        pause_flow_run(timeout=1, poll_interval=1)

    state = forgotten(return_state=True)
    assert state.type is StateType.FAILED
    assert "was not resumed within 1 s" in (state.message or "")


def test_pause_outside_a_flow_or_in_a_task_is_refused(database_url: str) -> None:
    with pytest.raises(PauseError, match="inside a flow run"):
        pause_flow_run()

    @task
    def inner() -> None:
        pause_flow_run()

    @flow
    def outer() -> None:
        inner()

    state = outer(return_state=True)
    assert state.is_failed() and "task runs cannot be paused" in (state.message or "")


def test_send_and_receive_input_between_runs(database_url: str) -> None:
    @flow(name=f"receiver-{uuid.uuid4().hex[:6]}")
    def receiver() -> list[int]:
        return [receive_input(int, timeout=30, poll_interval=0.1) for _ in range(2)]

    thread, out = _run_in_thread(receiver)
    from headwater.schemas.filters import FlowRunFilter

    client = shared_client()
    deadline = time.monotonic() + 30
    runs: list[Any] = []
    while not runs and time.monotonic() < deadline:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[receiver.name]))
        time.sleep(0.05)
    send_input(1, runs[0].id)
    send_input(2, runs[0].id)
    thread.join(30)
    assert out["state"].result() == [1, 2]


def test_suspending_a_run_without_a_deployment_is_refused_in_one_line(database_url: str) -> None:
    @flow(name=f"no-deployment-{uuid.uuid4().hex[:6]}")
    def local() -> None:
        suspend_flow_run(timeout=5)

    state = local(return_state=True)
    assert state.is_failed()
    assert "Cannot suspend flow runs without a deployment" in (state.message or "")
    with pytest.raises(SuspendNotAvailable, match="without a deployment"):
        state.result()

    @task
    def inner() -> None:
        suspend_flow_run()

    @flow
    def outer() -> None:
        inner()

    state = outer(return_state=True)
    assert state.is_failed() and "task runs cannot be suspended" in (state.message or "")
