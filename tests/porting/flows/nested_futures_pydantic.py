"""Futures inside pydantic models, tuples and sets are resolved before a task runs."""

from typing import Any

from prefect import flow, task
from pydantic import BaseModel


class Config(BaseModel):
    model_config = {"arbitrary_types_allowed": True}
    source: Any
    limit: int = 10


@task
def pick_source() -> str:
    return "warehouse"


@task
def number(i: int) -> int:
    return i


@task
def use(config: Config, pair: tuple, ids: set) -> str:
    assert isinstance(config, Config)
    return f"{config.source}:{config.limit}:{pair}:{sorted(ids)}"


@flow
def configured() -> str:
    config = Config(source=pick_source.submit(), limit=5)
    pair = (number.submit(1), "x")
    ids = {number.submit(2), 3}
    return use(config, pair, ids)


if __name__ == "__main__":
    assert configured() == "warehouse:5:(1, 'x'):[2, 3]", configured()
    print("PASS")
