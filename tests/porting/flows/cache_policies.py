"""Cache policies: INPUTS + TASK_SOURCE, and NO_CACHE."""

from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE

runs: list[str] = []


@task(cache_policy=INPUTS + TASK_SOURCE)
def lookup(key: str) -> str:
    runs.append(key)
    return key.upper()


@task(cache_policy=NO_CACHE)
def always(key: str) -> str:
    runs.append("always")
    return key


@flow
def lookups() -> list[str]:
    return [lookup("a"), lookup("a"), lookup("b"), always("x"), always("x")]


if __name__ == "__main__":
    assert lookups() == ["A", "A", "B", "x", "x"]
    assert runs == ["a", "b", "always", "always"], runs
    print("PASS")
