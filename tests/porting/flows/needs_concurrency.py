"""A global concurrency limit around a database call."""

from prefect import flow, task
from prefect.concurrency.sync import concurrency


@task
def query(i: int) -> int:
    with concurrency("database", occupy=1, strict=False):
        return i


@flow
def queries() -> list[int]:
    return [f.result() for f in query.map(range(3))]


if __name__ == "__main__":
    assert queries() == [0, 1, 2]
    print("PASS")
