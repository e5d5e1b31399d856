"""Calling tasks directly: values, failures, states, records, tags and options."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, tags, task
from headwater.exceptions import InvalidOptionError
from tests.helpers import last_run, task_runs_of


def test_direct_call_returns_the_value_and_records_the_task_run() -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline() -> int:
        return double(double(3))

    assert pipeline() == 12
    runs = task_runs_of(last_run().id)
    assert [r.name for r in runs] == ["double-0", "double-1"]
    assert all(r.state.is_completed() for r in runs)
    assert [t.name for t in runs[0].transitions] == ["Pending", "Running", "Completed"]
    assert runs[0].run_count == 1
    assert runs[0].start_time is not None and runs[0].end_time is not None


def test_failure_raises_in_the_flow_and_is_recorded() -> None:
    @task
    def explode() -> None:
        raise ZeroDivisionError("oops")

    @flow
    def pipeline() -> str:
        try:
            explode()
        except ZeroDivisionError:
            return "caught"
        return "not raised"

    assert pipeline() == "caught"
    run = task_runs_of(last_run().id)[0]
    assert run.state.is_failed()
    assert run.state.message == "ZeroDivisionError: oops"


def test_return_state() -> None:
    @task
    def ok() -> int:
        return 7

    @task
    def bad() -> None:
        raise ValueError("no")

    @flow
    def pipeline() -> dict[str, Any]:
        good, failed = ok(return_state=True), bad(return_state=True)
        assert good.is_completed() and good.result() == 7
        assert failed.is_failed()
        with pytest.raises(ValueError):
            failed.result()
        return {"ok": good.result(), "failed": failed.name}

    assert pipeline() == {"ok": 7, "failed": "Failed"}


def test_task_outside_a_flow_runs_and_is_recorded() -> None:
    @task
    def alone(x: int) -> int:
        return x + 1

    assert alone(1) == 2
    from headwater.client import get_client
    from headwater.client.writer import flush_all

    flush_all()
    runs = get_client().read_task_runs()
    assert [(r.name, r.flow_run_id) for r in runs] == [("alone-0", None)]


def test_tags_from_decorator_and_context() -> None:
    @task(tags=["etl"])
    def tagged() -> None:
        return None

    @flow
    def pipeline() -> None:
        tagged()
        with tags("nightly", "db"):
            tagged()

    pipeline()
    runs = task_runs_of(last_run().id)
    assert runs[0].tags == ["etl"]
    assert runs[1].tags == ["db", "etl", "nightly"]


def test_task_run_name_template() -> None:
    @task(task_run_name="load-{table}")
    def load(table: str) -> None:
        return None

    @flow
    def pipeline() -> None:
        load("users")
        load(table="orders")

    pipeline()
    assert [r.name for r in task_runs_of(last_run().id)] == ["load-users", "load-orders"]


def test_fn_is_the_undecorated_function_and_with_options_copies() -> None:
    def raw(x: int) -> int:
        return x

    decorated = task(raw)
    assert decorated.fn is raw
    assert decorated.fn(3) == 3  # runs without any engine
    renamed = decorated.with_options(name="renamed", retries=2)
    assert (renamed.name, renamed.retries) == ("renamed", 2)
    assert (decorated.name, decorated.retries) == ("raw", 0)
    with pytest.raises(InvalidOptionError):
        decorated.with_options(retries=-1)


def test_task_hooks() -> None:
    seen: list[str] = []

    @task(
        on_completion=[lambda t, run, state: seen.append(f"done {run.name} {state.name}")],
        on_failure=[lambda t, run, state: seen.append(f"failed {state.message}")],
    )
    def maybe(fail: bool) -> None:
        if fail:
            raise RuntimeError("x")

    @flow
    def pipeline() -> None:
        maybe(False)
        maybe(True, return_state=True)

    pipeline()
    assert seen == ["done maybe-0 Completed", "failed RuntimeError: x"]


def test_calling_with_wrong_arguments_is_a_type_error() -> None:
    @task
    def one(a: int) -> int:
        return a

    @flow
    def pipeline() -> None:
        one(1, 2)

    with pytest.raises(TypeError, match="'one'"):
        pipeline()


def test_a_task_may_return_a_state() -> None:
    from headwater.states import Failed

    @task
    def decides() -> Any:
        return Failed(message="custom failure")

    @flow
    def pipeline() -> Any:
        return decides(return_state=True)

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert task_runs_of(last_run().id)[0].state.message == "custom failure"
