"""Flow hooks and how the final state follows from what the flow returns."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task
from headwater.states import Cancelled, Completed, Failed
from tests.helpers import last_run


def test_hooks_receive_flow_run_and_state() -> None:
    seen: list[tuple[str, str, str]] = []

    def remember(kind: str) -> Any:
        def hook(flow_obj: Any, flow_run: Any, state: Any) -> None:
            seen.append((kind, flow_run.name, state.name))

        return hook

    @flow(
        flow_run_name="hooked",
        on_running=[remember("running")],
        on_completion=[remember("completion")],
        on_failure=[remember("failure")],
    )
    def hooked(fail: bool) -> None:
        if fail:
            raise ValueError("x")

    hooked(False)
    with pytest.raises(ValueError):
        hooked(True)
    assert seen == [
        ("running", "hooked", "Running"),
        ("completion", "hooked", "Completed"),
        ("running", "hooked", "Running"),
        ("failure", "hooked", "Failed"),
    ]


def test_a_failing_hook_is_logged_and_does_not_change_the_state() -> None:
    def bad_hook(*_: Any) -> None:
        raise RuntimeError("hook broke")

    @flow(on_completion=[bad_hook])
    def fine() -> int:
        return 1

    assert fine() == 1
    assert last_run().state.is_completed()


def test_returned_state_becomes_the_final_state() -> None:
    @flow
    def returns_failed() -> Any:
        return Failed(message="decided to fail")

    state = returns_failed(return_state=True)
    assert state.is_failed() and state.message == "decided to fail"
    assert last_run().state.message == "decided to fail"

    @flow
    def returns_cancelled() -> Any:
        return Cancelled(message="nothing to do")

    assert returns_cancelled(return_state=True).is_cancelled()

    @flow
    def returns_completed() -> Any:
        return Completed(data=42, message="fine")

    assert returns_completed() == 42


def test_returned_failed_futures_fail_the_flow() -> None:
    @task
    def maybe(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    @flow
    def some_fail() -> Any:
        return maybe.map([1, 2, 3])

    state = some_fail(return_state=True)
    assert state.is_failed()
    assert "1/3" in (state.message or "")
    with pytest.raises(ValueError, match="two"):
        state.result()


def test_unreturned_task_failure_does_not_fail_the_flow() -> None:
    @task
    def boom() -> None:
        raise ValueError("boom")

    @flow
    def ignores_failure() -> str:
        boom.submit()
        return "ok"

    assert ignores_failure() == "ok"
