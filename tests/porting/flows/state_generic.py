"""State[T] in annotations of tasks and flows."""

from typing import Any

from prefect import flow, task
from prefect.states import Completed, State


@task
def compute(x: int) -> State[int]:
    return Completed(data=x * 2)


def summarize(state: State[Any]) -> str:
    return f"{state.name}:{state.result()}"


@flow
def doubled(x: int = 2) -> int:
    state: State[int] = compute(x, return_state=True)
    assert summarize(state) == f"Completed:{x * 2}"
    return state.result()


if __name__ == "__main__":
    assert doubled(5) == 10
    print("PASS")
