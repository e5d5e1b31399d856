"""opaque, quote, allow_failure, unmapped as task arguments."""

from __future__ import annotations

from typing import Any

from headwater import flow, task
from headwater.utilities.annotations import Quote, allow_failure, opaque, quote, unmapped


class Holder:
    def __init__(self, inner: Any) -> None:
        self.inner = inner


@task
def produce() -> dict[str, Any]:
    return {"rows": [1, 2, 3]}


@task
def passthrough(value: Any) -> Any:
    return value


@task
def kind_of_first(values: list[Any]) -> str:
    return type(values[0]).__name__


def test_opaque_resolves_the_wrapped_future_but_not_what_is_inside() -> None:
    @flow
    def run() -> tuple[Any, Any, Any, Any]:
        future = produce.submit()
        resolved = passthrough(opaque(future))
        inner = kind_of_first(opaque([future]))  # a list: passed as is, not searched
        quoted = kind_of_first(quote([future]))
        searched = kind_of_first([future])
        return resolved, inner, quoted, searched

    resolved, inner, quoted, searched = run()
    assert resolved == {"rows": [1, 2, 3]}
    assert inner == quoted == "HeadwaterFuture" and searched == "dict"
    assert Quote is quote and allow_failure(1).unwrap() == 1 and unmapped(2).value == 2
