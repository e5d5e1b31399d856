"""Hooks: every kind by keyword and by decorator, on flows and tasks (task on_running)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task


def test_flow_hook_decorators_and_with_options_keep_them() -> None:
    calls: list[str] = []

    @flow
    def watched(fail: bool = False) -> None:
        if fail:
            raise RuntimeError("broken")

    @watched.on_running
    def running(flow: Any, flow_run: Any, state: Any) -> None:
        calls.append(f"running:{state.name}")

    @watched.on_completion
    def completed(flow: Any, flow_run: Any, state: Any) -> None:
        calls.append(f"completed:{flow_run.name == flow_run.name}")

    @watched.on_failure
    def failed(flow: Any, flow_run: Any, state: Any) -> None:
        calls.append("failed")

    assert running.__name__ == "running"  # the decorator returns the hook
    watched()
    watched(fail=True, return_state=True)
    assert calls == ["running:Running", "completed:True", "running:Running", "failed"]
    calls.clear()
    watched.with_options(name="copy")()
    assert calls == ["running:Running", "completed:True"]
    for kind in ("on_cancellation", "on_crashed"):
        assert callable(getattr(watched, kind))


def test_task_on_running_runs_each_attempt() -> None:
    calls: list[str] = []

    def by_keyword(task: Any, task_run: Any, state: Any) -> None:
        calls.append(f"running:{task_run.run_count}:{state.type.value}")

    @task(on_running=[by_keyword], retries=1, retry_delay_seconds=0)
    def flaky() -> int:
        if len(calls) < 2:
            raise OSError("first attempt")
        return 1

    @flaky.on_completion
    def done(task: Any, task_run: Any, state: Any) -> None:
        calls.append(f"completed:{state.result()}")

    @flaky.on_failure
    def failed(task: Any, task_run: Any, state: Any) -> None:
        calls.append("failed")

    @flow
    def run_flaky() -> int:
        return flaky()

    assert run_flaky() == 1
    assert calls == ["running:1:RUNNING", "running:2:RUNNING", "completed:1"]


def test_a_task_returning_a_state_runs_the_matching_hooks() -> None:
    from headwater.states import Failed

    calls: list[str] = []

    @task(on_failure=[lambda t, r, s: calls.append(s.message)])
    def gate() -> Any:
        return Failed(message="rejected")

    assert gate(return_state=True).is_failed() and calls == ["rejected"]


def test_commit_and_rollback_hooks_are_kept_for_transactions() -> None:
    @task
    def write() -> None:
        return None

    @write.on_commit
    def committed(txn: Any) -> None: ...

    @write.on_rollback
    def rolled_back(txn: Any) -> None: ...

    assert write.on_commit_hooks == [committed] and write.on_rollback_hooks == [rolled_back]


def test_a_hook_that_is_not_callable_fails_in_one_line() -> None:
    from headwater.exceptions import InvalidOptionError

    @task
    def t() -> None:
        return None

    with pytest.raises(InvalidOptionError, match="on_failure must be callables"):
        t.on_failure("not callable")  # type: ignore[arg-type]
