"""Futures nested in dataclasses, pydantic models, sets and tuples are resolved."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from headwater import flow, task


@dataclasses.dataclass(frozen=True)
class Batch:
    name: str
    rows: Any
    computed: int = dataclasses.field(default=0, init=False)


class Config(BaseModel):
    model_config = {"arbitrary_types_allowed": True}
    source: Any
    limit: int = 10


@task
def value(x: Any) -> Any:
    return x


@task
def describe(batch: Batch, config: Config, pair: tuple[Any, ...], ids: set[Any]) -> str:
    assert isinstance(batch, Batch) and isinstance(config, Config)
    return f"{batch.name}:{batch.rows}:{config.source}:{config.limit}:{pair}:{sorted(ids)}"


def test_nested_futures_are_resolved_and_containers_rebuilt() -> None:
    @flow
    def run() -> tuple[str, Batch]:
        batch = Batch("b", [value.submit(1), value.submit(2)])
        config = Config(source=value.submit("db"))
        described = describe(batch, config, (value.submit(3), "x"), {value.submit(4), 5})
        return described, batch

    described, original = run()
    assert described == "b:[1, 2]:db:10:(3, 'x'):[4, 5]"
    assert type(original.rows[0]).__name__ == "HeadwaterFuture"  # the caller's is untouched


def test_values_without_futures_are_passed_as_the_same_object() -> None:
    batch = Batch("same", [1])
    config = Config(source="s")

    @task
    def identity(b: Batch, c: Config) -> bool:
        return b is batch and c is config

    @flow
    def run() -> bool:
        return identity(batch, config)

    assert run()


def test_a_submitted_task_waits_for_futures_inside_a_dataclass() -> None:
    @task
    def slow() -> int:
        import time

        time.sleep(0.05)
        return 7

    @flow
    def run() -> str:
        return describe.submit(
            Batch("w", slow.submit()), Config(source=slow.submit()), (), set()
        ).result()

    assert run() == "w:7:7:10:():[]"
