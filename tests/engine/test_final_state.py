"""A flow's final state from returned collections of states (Prefect's rule)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task
from headwater.states import Cancelled, Completed, Failed, Paused


@task
def ok(i: int) -> int:
    return i


@task
def broken() -> int:
    raise ValueError("nope")


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (lambda: [Completed(1), Completed(2)], "COMPLETED"),
        (lambda: [Completed(1), Failed(message="x")], "FAILED"),
        (lambda: (Completed(1), Cancelled()), "CANCELLED"),
        (lambda: {Completed(1), Paused()}, "PAUSED"),
        (lambda: (Failed(message="data"), 1), "COMPLETED"),  # mixed: plain data
        (lambda: {"a": Failed(message="data")}, "COMPLETED"),  # a dict is data
        (lambda: [ok.submit(1), broken.submit()], "FAILED"),
        (lambda: [ok.submit(1), ok.submit(2)], "COMPLETED"),
        (lambda: [], "COMPLETED"),
    ],
)
def test_collections_decide_only_when_made_of_states(returned: Any, expected: str) -> None:
    @flow
    def returns() -> Any:
        return returned()

    assert returns(return_state=True).type.value == expected


def test_the_collection_is_still_returned() -> None:
    @flow
    def listed() -> Any:
        return [ok.submit(1), Completed("b")]

    states = listed()
    assert [s.result() for s in states] == [1, "b"]

    @flow
    def mixed() -> Any:
        return (Failed(message="just data"), 1)

    value = mixed()
    assert value[1] == 1 and value[0].is_failed()


def test_an_aggregate_failure_raises_the_first_failed_exception() -> None:
    @flow
    def one_bad() -> Any:
        return [ok.submit(1), broken.submit()]

    with pytest.raises(ValueError, match="nope"):
        one_bad()


def test_a_returned_future_or_task_state_is_given_back_as_a_state() -> None:
    @flow
    def returns_future() -> Any:
        return ok.submit(5)

    @flow
    def returns_failed_state() -> Any:
        return broken(return_state=True)

    @flow
    def returns_own_state() -> Any:
        return Completed(7, message="made here")

    given = returns_future()
    assert given.is_completed() and given.result() == 5
    failed = returns_failed_state(return_state=True)
    assert failed.is_failed() and failed.message == "ValueError: nope"
    assert failed.result(raise_on_failure=False).is_failed()
    with pytest.raises(ValueError, match="nope"):
        failed.result()
    own = returns_own_state(return_state=True)
    assert own.message == "made here" and own.result() == 7 and returns_own_state() == 7
