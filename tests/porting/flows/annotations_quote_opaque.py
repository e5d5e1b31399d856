"""quote and opaque: pass large or special values without inspection."""

from prefect import flow, task
from prefect.utilities.annotations import opaque, quote


@task
def produce() -> dict:
    return {"rows": list(range(100))}


@task
def size(data: dict) -> int:
    return len(data["rows"])


@flow
def annotated() -> tuple:
    future = produce.submit()
    big = {"rows": list(range(10))}
    return size(opaque(future)), size(quote(big))


if __name__ == "__main__":
    assert annotated() == (100, 10)
    print("PASS")
