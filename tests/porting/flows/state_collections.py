"""A flow's final state from a returned collection of states (Prefect's rule)."""

from prefect import flow, task
from prefect.states import Completed, Failed


@task
def ok(i: int) -> int:
    return i


@task
def broken() -> int:
    raise ValueError("nope")


@flow
def all_good():
    return [ok.submit(1), ok.submit(2)]


@flow
def one_bad():
    return [ok.submit(1), broken.submit()]


@flow
def mixed_tuple():
    return (Failed(message="just data"), 1)


@flow
def listed_states():
    return [Completed(data="a"), Completed(data="b")]


if __name__ == "__main__":
    assert all_good(return_state=True).is_completed()
    assert one_bad(return_state=True).is_failed()
    assert mixed_tuple(return_state=True).is_completed()
    states = listed_states()
    assert [s.result() for s in states] == ["a", "b"], states
    print("PASS")
