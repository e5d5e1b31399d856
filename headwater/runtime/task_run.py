"""The current task run: ``id``, ``name``, ``task_name``, ``tags``, ``parameters``,
``run_count``, ``api_url``, ``ui_url``; empty values outside a task run."""

# ruff: noqa: F822  (the names in __all__ are computed by the module __getattr__)
from __future__ import annotations

from typing import Any

from headwater.context import TaskRunContext
from headwater.runtime import _fields

__all__ = ["api_url", "id", "name", "parameters", "run_count", "tags", "task_name", "ui_url"]


def get_id() -> str | None:
    ctx = TaskRunContext.get()
    return str(ctx.task_run_id) if ctx is not None else None


def get_name() -> str | None:
    ctx = TaskRunContext.get()
    return ctx.task_run_name if ctx is not None else None


def get_task_name() -> str | None:
    ctx = TaskRunContext.get()
    return ctx.task.name if ctx is not None else None


def get_tags() -> list[str]:
    ctx = TaskRunContext.get()
    return list(ctx.task_run.tags) if ctx is not None else []


def get_parameters() -> dict[str, Any]:
    ctx = TaskRunContext.get()
    return ctx.parameters if ctx is not None else {}


def get_run_count() -> int:
    ctx = TaskRunContext.get()
    return ctx.run_count if ctx is not None else 0


def get_api_url() -> str | None:
    run_id = get_id()
    return _fields.api_url(f"task_runs/{run_id}") if run_id else None


def get_ui_url() -> str | None:
    run_id = get_id()
    return _fields.ui_url(f"task-runs/{run_id}") if run_id else None


FIELDS = {
    "id": get_id,
    "name": get_name,
    "task_name": get_task_name,
    "tags": get_tags,
    "parameters": get_parameters,
    "run_count": get_run_count,
    "api_url": get_api_url,
    "ui_url": get_ui_url,
}


def __getattr__(name: str) -> Any:
    return _fields.lookup(__name__, "TASK_RUN", FIELDS, name)


def __dir__() -> list[str]:
    return sorted(__all__)
