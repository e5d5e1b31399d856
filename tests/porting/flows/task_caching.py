"""Caching a task by its inputs: the second call is Cached."""

from datetime import timedelta

from prefect import flow, task
from prefect.tasks import task_input_hash

calls: list[int] = []


@task(cache_key_fn=task_input_hash, cache_expiration=timedelta(minutes=5))
def expensive(x: int) -> int:
    calls.append(x)
    return x * x


@flow
def cached_twice() -> tuple:
    first = expensive(4, return_state=True)
    second = expensive(4, return_state=True)
    return first.name, second.name, second.result()


if __name__ == "__main__":
    names = cached_twice()
    assert names == ("Completed", "Cached", 16), names
    assert calls == [4]
    print("PASS")
