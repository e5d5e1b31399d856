"""States: predicates, results, wire format, and pydantic round trips."""

from __future__ import annotations

import datetime as dt

import pytest

from headwater.exceptions import CancelledRun, MissingResult, UnfinishedRun
from headwater.states import (
    AwaitingRetry,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Running,
    State,
    StateType,
)


def test_predicates_and_names() -> None:
    assert Completed().is_completed() and Completed().is_final()
    assert AwaitingRetry().is_scheduled() and AwaitingRetry().name == "AwaitingRetry"
    assert not Running().is_final()
    assert State("FAILED").name == "Failed"


def test_result_and_failures() -> None:
    assert Completed(5).result() == 5
    error = ValueError("x")
    with pytest.raises(ValueError):
        Failed(error).result()
    assert Failed(error).result(raise_on_failure=False) is error
    assert Failed(error).message == "ValueError: x"
    with pytest.raises(CancelledRun):
        Cancelled(message="stop").result()
    with pytest.raises(UnfinishedRun):
        Running().result()
    with pytest.raises(MissingResult, match="persist_result"):
        State.from_dict(Completed(1).to_dict()).result()
    assert "Crashed" in repr(Crashed(message="boom"))


def test_wire_round_trip_keeps_details() -> None:
    when = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    state = AwaitingRetry(when, message="later")
    copy = State.from_dict(state.to_dict())
    assert copy.type is StateType.SCHEDULED and copy.name == "AwaitingRetry"
    assert copy.state_details.scheduled_time == when
    assert copy.message == "later"


def test_pydantic_validates_and_serializes_states() -> None:
    from pydantic import BaseModel, ValidationError

    class Holder(BaseModel):
        state: State

    holder = Holder.model_validate({"state": {"type": "RUNNING", "name": "Retrying"}})
    assert holder.state.is_running() and holder.state.name == "Retrying"
    assert holder.model_dump(mode="json")["state"]["type"] == "RUNNING"
    with pytest.raises(ValidationError):
        Holder.model_validate({"state": {"type": "SLEEPING"}})
    with pytest.raises(ValidationError):
        Holder.model_validate({"state": "RUNNING"})
