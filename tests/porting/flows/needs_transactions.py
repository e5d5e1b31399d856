"""Two writes that commit together or not at all."""

from prefect import flow, task
from prefect.transactions import transaction

written: list[str] = []


@task
def write(name: str) -> str:
    written.append(name)
    return name


@write.on_rollback
def undo(txn) -> None:
    written.clear()


@flow
def atomic() -> list[str]:
    with transaction():
        write("a")
        write("b")
    return list(written)


if __name__ == "__main__":
    assert atomic() == ["a", "b"]
    print("PASS")
