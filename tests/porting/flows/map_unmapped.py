"""Mapping a task over inputs, with a constant argument passed whole."""

from prefect import flow, task, unmapped


@task
def scale(value: int, factor: int) -> int:
    return value * factor


@task
def total(values: list[int]) -> int:
    return sum(values)


@flow
def scaled_sum(values: list[int], factor: int = 3) -> int:
    futures = scale.map(values, unmapped(factor))
    return total(futures)


if __name__ == "__main__":
    assert scaled_sum([1, 2, 3]) == 18
    print("PASS")
