"""Headwater: Python workflow orchestration.

Public names are imported lazily (on first use), so ``import headwater`` stays fast
and pulls in neither SQLAlchemy nor pydantic nor the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from headwater._version import __version__
from headwater.utilities.tracebacks import install_excepthook

# Uncaught user errors print as one line in every script, with or without a flow.
install_excepthook()

if TYPE_CHECKING:
    from headwater.client import get_client
    from headwater.context import get_run_context, tags
    from headwater.deployments.project import deploy
    from headwater.deployments.run import run_deployment
    from headwater.deployments.serving import serve
    from headwater.flow_runs import (
        apause_flow_run,
        aresume_flow_run,
        asuspend_flow_run,
        pause_flow_run,
        resume_flow_run,
        suspend_flow_run,
    )
    from headwater.flows import Flow, flow
    from headwater.futures import as_completed, wait
    from headwater.logging import get_run_logger
    from headwater.states import State
    from headwater.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
    from headwater.tasks import Task, task
    from headwater.utilities.annotations import allow_failure, quote, unmapped

_EXPORTS = {
    "flow": "headwater.flows",
    "Flow": "headwater.flows",
    "task": "headwater.tasks",
    "Task": "headwater.tasks",
    "get_run_logger": "headwater.logging",
    "tags": "headwater.context",
    "get_run_context": "headwater.context",
    "unmapped": "headwater.utilities.annotations",
    "allow_failure": "headwater.utilities.annotations",
    "quote": "headwater.utilities.annotations",
    "State": "headwater.states",
    "wait": "headwater.futures",
    "as_completed": "headwater.futures",
    "get_client": "headwater.client",
    "pause_flow_run": "headwater.flow_runs",
    "apause_flow_run": "headwater.flow_runs",
    "aresume_flow_run": "headwater.flow_runs",
    "asuspend_flow_run": "headwater.flow_runs",
    "resume_flow_run": "headwater.flow_runs",
    "suspend_flow_run": "headwater.flow_runs",
    "ThreadPoolTaskRunner": "headwater.task_runners",
    "ProcessPoolTaskRunner": "headwater.task_runners",
    "serve": "headwater.deployments.serving",
    "run_deployment": "headwater.deployments.run",
    "deploy": "headwater.deployments.project",
}

__all__ = [
    "Flow",
    "ProcessPoolTaskRunner",
    "State",
    "Task",
    "ThreadPoolTaskRunner",
    "__version__",
    "allow_failure",
    "apause_flow_run",
    "aresume_flow_run",
    "as_completed",
    "asuspend_flow_run",
    "deploy",
    "flow",
    "get_client",
    "get_run_context",
    "get_run_logger",
    "pause_flow_run",
    "quote",
    "resume_flow_run",
    "run_deployment",
    "serve",
    "suspend_flow_run",
    "tags",
    "task",
    "unmapped",
    "wait",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'headwater' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
