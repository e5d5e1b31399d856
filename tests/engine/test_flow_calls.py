"""Calling a flow: its value, its stored run, names, parameters and their validation."""

from __future__ import annotations

import datetime as dt

import pytest

from headwater import flow, get_run_logger
from headwater.exceptions import ParameterTypeError
from tests.helpers import history_of, last_run, logs_of


def test_flow_returns_its_value_and_records_a_completed_run() -> None:
    @flow
    def add_numbers(x: int, y: int = 2) -> int:
        return x + y

    assert add_numbers(1) == 3
    run = last_run()
    assert run.flow_name == "add-numbers"
    assert run.state.is_completed()
    assert run.parameters == {"x": 1, "y": 2}
    assert run.start_time is not None and run.end_time is not None
    assert run.run_count == 1
    assert history_of(run.id) == ["Running", "Completed"]


def test_default_name_replaces_underscores_and_name_option_wins() -> None:
    @flow
    def etl_parent_flow() -> None:
        return None

    @flow(name="custom")
    def other() -> None:
        return None

    assert etl_parent_flow.name == "etl-parent-flow"
    assert other.name == "custom"
    assert etl_parent_flow.fn.__name__ == "etl_parent_flow"


def test_parameters_are_coerced_from_type_hints() -> None:
    @flow
    def typed(n: int, when: dt.date, items: list[int]) -> tuple[int, dt.date, list[int]]:
        return n, when, items

    n, when, items = typed("5", "2024-03-01", ["1", 2])
    assert n == 5 and when == dt.date(2024, 3, 1) and items == [1, 2]
    assert last_run().parameters == {"n": 5, "when": "2024-03-01", "items": [1, 2]}


def test_a_bad_parameter_is_one_line_naming_it_and_the_failed_run_is_kept() -> None:
    @flow
    def needs_int(count: int) -> int:
        return count

    with pytest.raises(ParameterTypeError) as info:
        needs_int("many")
    message = str(info.value)
    assert "\n" not in message
    assert "'count'" in message and "needs-int" in message
    run = last_run()
    assert run.state.is_failed()
    assert "invalid parameters" in (run.state.message or "")


def test_missing_and_unexpected_arguments_are_parameter_errors() -> None:
    @flow
    def one(a: int) -> int:
        return a

    with pytest.raises(ParameterTypeError, match="missing"):
        one()
    with pytest.raises(ParameterTypeError, match="unexpected"):
        one(1, b=2)


def test_validation_can_be_turned_off() -> None:
    @flow(validate_parameters=False)
    def raw(n: int) -> object:
        return n

    assert raw("not a number") == "not a number"


def test_run_name_template_and_callable() -> None:
    @flow(flow_run_name="load-{table}")
    def load(table: str) -> None:
        return None

    load("users")
    assert last_run().name == "load-users"

    @flow(flow_run_name=lambda: "from-callable")
    def named() -> None:
        return None

    named()
    assert last_run().name == "from-callable"


def test_default_run_names_are_two_words() -> None:
    @flow
    def anonymous() -> None:
        return None

    anonymous()
    first, second = last_run().name.split("-")
    assert first.isalpha() and second.isalpha()


def test_run_logger_lines_are_stored_in_order() -> None:
    @flow
    def chatty() -> None:
        logger = get_run_logger()
        for i in range(5):
            logger.info("line %d", i)

    chatty()
    messages = [log.message for log in logs_of(last_run().id)]
    assert [m for m in messages if m.startswith("line")] == [f"line {i}" for i in range(5)]
    assert messages[0].startswith("Beginning flow run")
    assert messages[-1] == "Finished in state Completed()"


def test_return_state_gives_the_final_state() -> None:
    @flow
    def fails() -> None:
        raise ValueError("bad")

    state = fails(return_state=True)
    assert state.is_failed()
    assert state.message == "ValueError: bad"
    with pytest.raises(ValueError, match="bad"):
        state.result()


def test_an_exception_fails_the_run_and_propagates_with_user_frames() -> None:
    @flow
    def broken() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError) as info:
        broken()
    frames = [entry.path for entry in info.traceback]
    assert not any("headwater/engine" in str(path) for path in frames)
    run = last_run()
    assert run.state.is_failed()
    assert run.state.message == "KeyError: 'missing'"


def test_with_options_copies_the_flow() -> None:
    @flow(retries=0)
    def base() -> str:
        return "ok"

    changed = base.with_options(name="renamed", retries=2)
    assert changed.name == "renamed" and changed.retries == 2
    assert base.retries == 0
    assert changed() == "ok"
