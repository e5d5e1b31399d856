"""Task runners: where ``.submit()``/``.map()`` task runs execute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.task_runners.base import TaskRunner
    from headwater.task_runners.processes import ProcessPoolTaskRunner
    from headwater.task_runners.threads import ThreadPoolTaskRunner

__all__ = ["ConcurrentTaskRunner", "ProcessPoolTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]

_WHERE = {
    "TaskRunner": "headwater.task_runners.base",
    "ThreadPoolTaskRunner": "headwater.task_runners.threads",
    "ProcessPoolTaskRunner": "headwater.task_runners.processes",
    # Prefect 3 keeps its 2.x name as an alias of the thread pool.
    "ConcurrentTaskRunner": "headwater.task_runners.threads",
}


def __getattr__(name: str) -> Any:
    module_name = _WHERE.get(name)
    if module_name is None:
        raise AttributeError(f"module 'headwater.task_runners' has no attribute {name!r}")
    import importlib

    target = "ThreadPoolTaskRunner" if name == "ConcurrentTaskRunner" else name
    return getattr(importlib.import_module(module_name), target)
