"""State helpers and constructors under Prefect's names; State[T] as an annotation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from headwater.exceptions import CancelledRun, CrashedRun, FailedRun, PausedRun
from headwater.states import (
    AwaitingConcurrencySlot,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Paused,
    Pending,
    Running,
    State,
    StateDetails,
    StateGroup,
    Suspended,
    aget_state_exception,
    exception_to_crashed_state,
    exception_to_failed_state,
    get_state_exception,
    raise_state_exception,
    return_value_to_state,
)


def test_state_is_generic() -> None:
    def annotated(state: State[int]) -> State[Any]:
        return state

    assert annotated(Completed(1)).result() == 1
    assert State[int] is not State and State[int].__origin__ is State  # type: ignore[attr-defined]


def test_constructors_take_prefect_keywords() -> None:
    details = StateDetails(cache_key="k")
    state = Completed(message="ok", data=3, name="Done", state_details=details)
    assert (state.name, state.message, state.result(), state.state_details.cache_key) == (
        "Done",
        "ok",
        3,
        "k",
    )
    assert Failed(message="m", data=ValueError("x")).message == "m"
    assert Suspended(timeout_seconds=5).name == "Suspended" and Suspended().is_paused()
    assert Paused(timeout_seconds=5).state_details.pause_timeout is not None
    assert AwaitingConcurrencySlot().is_scheduled() and Pending(name="NotReady").is_pending()
    with pytest.raises(TypeError, match="unknown state detail"):
        Running(no_such_detail="x")


def test_exceptions_from_states() -> None:
    error = ValueError("bad")
    assert get_state_exception(Failed(error)) is error
    assert isinstance(get_state_exception(Failed(message="no data")), FailedRun)
    assert isinstance(get_state_exception(Crashed(message="gone")), CrashedRun)
    assert isinstance(get_state_exception(Cancelled(message="stop")), CancelledRun)
    assert asyncio.run(aget_state_exception(Failed(error))) is error
    with pytest.raises(ValueError, match="expected a failed"):
        get_state_exception(Completed(1))
    raise_state_exception(Completed(1))  # nothing to raise
    with pytest.raises(ValueError, match="bad"):
        raise_state_exception(Failed(error))
    with pytest.raises(PausedRun):
        Paused().result()


def test_states_from_exceptions() -> None:
    crashed = asyncio.run(exception_to_crashed_state(RuntimeError("worker died")))
    assert crashed.is_crashed() and "RuntimeError: worker died" in (crashed.message or "")
    interrupted = asyncio.run(exception_to_crashed_state(KeyboardInterrupt()))
    assert "interrupt" in (interrupted.message or "")

    async def handled() -> State:
        try:
            raise KeyError("k")
        except KeyError:
            return await exception_to_failed_state()

    failed = asyncio.run(handled())
    assert failed.is_failed() and isinstance(failed.data, KeyError)
    custom = asyncio.run(exception_to_failed_state(ValueError("v"), message="custom"))
    assert custom.message == "custom"


def test_return_value_to_state_and_state_groups() -> None:
    assert return_value_to_state(5).result() == 5
    group = [Completed(1), Failed(message="x"), Crashed(message="y")]
    assert return_value_to_state(group).message == "2/3 states failed."
    assert return_value_to_state([Completed(), Cancelled()]).is_cancelled()
    assert return_value_to_state([Completed(), Paused()]).is_paused()
    assert return_value_to_state((Completed(), Pending())).message == "1/2 states are not final."
    assert return_value_to_state([Failed(), 1]).is_completed()  # not all states: data
    assert return_value_to_state({"a": Failed()}).is_completed()  # dicts are data
    assert StateGroup(group).fail_count == 2 and StateGroup(group).all_final()
