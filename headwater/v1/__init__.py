"""Prefect 1 ("Core") flows on Headwater: port by rewriting ``prefect`` to
``headwater.v1`` in imports.

``with Flow("etl") as flow:`` builds a graph from task calls; ``flow.run()`` runs it as
a Headwater flow run (each task a Headwater task run, in the same store and UI);
``headwater v1 register --project P --path FILE`` makes it a deployment.  Names are
imported on first use, so ``import headwater.v1`` is light.  See docs/v1.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.v1.core.edge import Edge, flatten, unmapped
    from headwater.v1.core.flow import Flow
    from headwater.v1.core.parameter import DateTimeParameter, Parameter
    from headwater.v1.core.task import Task, task
    from headwater.v1.run_context import context
    from headwater.v1.tasks.control_flow import case, ifelse, merge, switch

_EXPORTS = {
    "Flow": "headwater.v1.core.flow",
    "Task": "headwater.v1.core.task",
    "task": "headwater.v1.core.task",
    "Parameter": "headwater.v1.core.parameter",
    "DateTimeParameter": "headwater.v1.core.parameter",
    "Edge": "headwater.v1.core.edge",
    "unmapped": "headwater.v1.core.edge",
    "flatten": "headwater.v1.core.edge",
    "case": "headwater.v1.tasks.control_flow",
    "merge": "headwater.v1.tasks.control_flow",
    "ifelse": "headwater.v1.tasks.control_flow",
    "switch": "headwater.v1.tasks.control_flow",
    "context": "headwater.v1.run_context",
}
_MODULES = ("triggers", "engine", "tasks", "storage", "run_configs", "schedules", "executors")

__all__ = [
    "DateTimeParameter",
    "Edge",
    "Flow",
    "Parameter",
    "Task",
    "case",
    "context",
    "flatten",
    "ifelse",
    "merge",
    "switch",
    "task",
    "unmapped",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"headwater.v1.{name}")
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'headwater.v1' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, *_MODULES])
