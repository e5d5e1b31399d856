"""Edges of a v1 flow graph and the ``unmapped``/``flatten`` argument markers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class unmapped:
    """``task.map(items, unmapped(config))``: pass ``config`` whole to every child."""

    __slots__ = ("task",)

    def __init__(self, task: Any) -> None:
        self.task = task


class flatten:
    """``task.map(flatten(nested))``: map over the items of a list of lists."""

    __slots__ = ("task",)

    def __init__(self, task: Any) -> None:
        self.task = task


@dataclass(frozen=True, eq=False)
class Edge:
    """``upstream_task`` runs before ``downstream_task``; with ``key``, its result is
    the downstream task's argument of that name (``mapped``: one item per child)."""

    upstream_task: Any
    downstream_task: Any
    key: str | None = None
    mapped: bool = False
    flattened: bool = False

    def __repr__(self) -> str:
        key = f" (key={self.key!r})" if self.key else ""
        return f"<Edge{key}: {self.upstream_task.name} to {self.downstream_task.name}>"


class MappedConstant:
    """A constant list given to ``task.map``: one item per child."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
