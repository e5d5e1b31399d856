"""A subflow's failure caught by its parent through return_state."""

from prefect import flow, task


@task
def validate(x: int) -> int:
    if x > 10:
        raise ValueError("too large")
    return x


@flow
def child_flow(x: int) -> int:
    return validate(x)


@flow
def parent_flow(values: list[int]) -> dict:
    results = {}
    for value in values:
        state = child_flow(value, return_state=True)
        results[value] = state.type.value
    return results


if __name__ == "__main__":
    assert parent_flow([1, 20]) == {1: "COMPLETED", 20: "FAILED"}
    print("PASS")
