"""Falling back when a block does not exist (Block.load raises ValueError)."""

from prefect import flow
from prefect.blocks.system import Secret


def api_token() -> str:
    try:
        return Secret.load("missing-api-token").get()
    except ValueError:
        return "anonymous"


@flow
def call_service() -> str:
    return api_token()


if __name__ == "__main__":
    assert call_service() == "anonymous"
    print("PASS")
