"""A bad parameter: a Failed state with return_state=True, the error otherwise."""

from __future__ import annotations

import pytest

from headwater import flow
from headwater.exceptions import ParameterTypeError
from tests.helpers import stored_runs


@flow
def load_rows(limit: int) -> int:
    return limit


def test_return_state_gives_a_failed_state_naming_the_parameter() -> None:
    state = load_rows("many", return_state=True)  # type: ignore[arg-type]
    assert state.is_failed() and "'limit'" in (state.message or "")
    with pytest.raises(ParameterTypeError, match="limit"):
        state.result()
    (run,) = stored_runs()
    assert run.state.is_failed() and run.id == state.state_details.flow_run_id


def test_without_return_state_it_raises() -> None:
    with pytest.raises(ParameterTypeError, match="limit"):
        load_rows("many")  # type: ignore[arg-type]
    assert stored_runs()[0].state.is_failed()


def test_a_subflow_with_a_bad_parameter() -> None:
    @flow
    def parent() -> str:
        state = load_rows("x", return_state=True)  # type: ignore[arg-type]
        return state.name

    assert parent() == "Failed"
