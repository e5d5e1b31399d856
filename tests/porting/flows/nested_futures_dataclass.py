"""Futures inside a dataclass passed to a task are resolved first."""

from dataclasses import dataclass
from typing import Any

from prefect import flow, task


@dataclass
class Batch:
    name: str
    rows: Any
    total: Any


@task
def fetch_rows() -> list[int]:
    return [1, 2, 3]


@task
def count(n: int) -> int:
    return n


@task
def report(batch: Batch) -> str:
    assert isinstance(batch, Batch)
    return f"{batch.name}:{sum(batch.rows)}:{batch.total}"


@flow
def batch_report() -> str:
    batch = Batch(name="daily", rows=fetch_rows.submit(), total=count.submit(3))
    return report(batch)


if __name__ == "__main__":
    assert batch_report() == "daily:6:3"
    print("PASS")
