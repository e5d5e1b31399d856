"""State helpers: exceptions from states and states from exceptions."""

import asyncio

from prefect import flow, task
from prefect.exceptions import FailedRun
from prefect.states import (
    exception_to_crashed_state,
    exception_to_failed_state,
    get_state_exception,
    raise_state_exception,
)


@task
def divide(a: int, b: int) -> float:
    return a / b


@flow
def calc() -> str:
    state = divide(1, 0, return_state=True)
    exc = get_state_exception(state)
    assert isinstance(exc, ZeroDivisionError)
    try:
        raise_state_exception(state)
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("expected ZeroDivisionError")
    return "checked"


if __name__ == "__main__":
    assert calc() == "checked"
    crashed = asyncio.run(exception_to_crashed_state(RuntimeError("worker died")))
    assert crashed.is_crashed() and "worker died" in crashed.message
    failed = asyncio.run(exception_to_failed_state(ValueError("bad input")))
    assert failed.is_failed()
    assert issubclass(FailedRun, Exception)
    print("PASS")
