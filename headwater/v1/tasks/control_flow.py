"""Branching in a v1 flow: ``case``, ``merge``, ``ifelse``, ``switch``.

``with case(cond, value):`` adds a comparison task; the tasks created in the block
that have no upstream task inside the block run after it, so they (and everything
downstream of them) are skipped when ``cond``'s result is not ``value``.  ``merge``
takes the first branch that ran.
"""

from __future__ import annotations

from typing import Any

from headwater.v1 import triggers
from headwater.v1.building import CURRENT_CASE, current_flow
from headwater.v1.core.task import Task
from headwater.v1.exceptions import V1GraphError
from headwater.v1.tasks.core import CompareValue


class case:
    """``with case(task, value):`` — the block runs only when ``task``'s result is
    ``value``."""

    def __init__(self, task: Any, value: Any) -> None:
        if isinstance(value, Task):
            raise V1GraphError("case(task, value): value must be a constant, not a task")
        self.task = task
        self.value = value
        self._tasks: list[Task] = []
        self._token: Any = None
        self._flow: Any = None
        self.parent: case | None = None

    def add_task(self, task: Task) -> None:
        self._tasks.append(task)

    def __enter__(self) -> case:
        self._flow = current_flow(None, "case(...)")
        self.parent = CURRENT_CASE.get()
        self._token = CURRENT_CASE.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        CURRENT_CASE.reset(self._token)
        self._token = None
        if exc[0] is not None or not self._tasks:
            return
        flow = self._flow
        inside = set(self._tasks)
        compare = CompareValue(self.value, name=f"case({self.value})")
        if self.parent is not None:
            token = CURRENT_CASE.set(self.parent)
            try:
                compare.bind(value=self.task, flow=flow)
            finally:
                CURRENT_CASE.reset(token)
        else:
            compare.bind(value=self.task, flow=flow)
        for child in self._tasks:
            if child is compare or child is self.task:
                continue
            if not (flow.upstream_tasks(child) & inside):
                flow.add_edge(compare, child)


def merge(*tasks: Any, flow: Any = None) -> Task:
    """The result of the first of ``tasks`` that was not skipped (None if all were)."""
    if not tasks:
        raise V1GraphError("merge() needs at least one task")
    keywords = {f"task{index}": task for index, task in enumerate(tasks, start=1)}
    return Merge().bind(**keywords, flow=flow)


class Merge(Task):
    """Runs unless every branch was skipped; returns the first non-None result."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("name", "Merge")
        kwargs.setdefault("skip_on_upstream_skip", False)
        kwargs.setdefault("trigger", triggers.not_all_skipped)
        super().__init__(**kwargs)

    def run(self, **task_results: Any) -> Any:
        ordered = sorted(task_results, key=lambda key: int(key[4:]))
        return next((task_results[key] for key in ordered if task_results[key] is not None), None)


def ifelse(condition: Any, true_task: Any, false_task: Any, flow: Any = None) -> None:
    """Run ``true_task`` when ``condition``'s result is truthy, else ``false_task``."""
    flow = current_flow(flow, "ifelse(...)")
    as_bool = _AsBool().bind(value=condition, flow=flow)
    switch(as_bool, {True: true_task, False: false_task}, flow=flow)


def switch(condition: Any, cases: dict[Any, Any], flow: Any = None) -> None:
    """Run only the task of ``cases`` whose key equals ``condition``'s result."""
    flow = current_flow(flow, "switch(...)")
    for value, branch in cases.items():
        compare = CompareValue(value).bind(value=condition, flow=flow)
        flow.add_edge(compare, branch)


class _AsBool(Task):
    def __init__(self) -> None:
        super().__init__(name="as_bool")

    def run(self, value: Any) -> bool:
        return bool(value)


__all__ = ["case", "ifelse", "merge", "switch"]
