"""Waiting for typed input from a person."""

from prefect import flow
from prefect.input import RunInput


class Approval(RunInput):
    approved: bool
    note: str = ""


@flow
def gated() -> str:
    return Approval.__name__


if __name__ == "__main__":
    assert gated() == "Approval"
    print("PASS")
