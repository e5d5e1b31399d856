"""Submitting tasks, waiting for them and consuming them as they complete."""

import time

from prefect import flow, task
from prefect.futures import as_completed, wait


@task
def slow_square(x: int) -> int:
    time.sleep(0.01 * (5 - x))
    return x * x


@flow
def squares() -> list[int]:
    futures = [slow_square.submit(i) for i in range(5)]
    done, not_done = wait(futures, timeout=30)
    assert len(done) == 5 and not not_done
    finished = sorted(f.result() for f in as_completed(futures))
    return finished


if __name__ == "__main__":
    assert squares() == [0, 1, 4, 9, 16]
    print("PASS")
