"""The current flow run: ``id``, ``name``, ``flow_name``, ``flow_version``, ``tags``,
``parameters``, ``scheduled_start_time``, ``run_count``, ``parent_flow_run_id``,
``parent_deployment_id``, ``root_flow_run_id``, ``deployment_id``,
``job_variables``, ``api_url``, ``ui_url``.

Inside a task, the task's flow run; outside any run, the run named by
``HEADWATER__FLOW_RUN_ID`` (read from the store) or empty values.
"""

# ruff: noqa: F822  (the names in __all__ are computed by the module __getattr__)
from __future__ import annotations

import datetime as dt
from typing import Any

from headwater.context import FlowRunContext, TaskRunContext
from headwater.runtime import _fields

__all__ = [
    "api_url",
    "deployment_id",
    "flow_name",
    "flow_version",
    "id",
    "job_variables",
    "name",
    "parameters",
    "parent_deployment_id",
    "parent_flow_run_id",
    "root_flow_run_id",
    "run_count",
    "scheduled_start_time",
    "tags",
    "ui_url",
]


def _context() -> FlowRunContext | None:
    return FlowRunContext.get()


def _stored() -> Any:
    """The stored run when there is no flow-run context (a task or an env var)."""
    run_id = get_id()
    return _fields.read_flow_run(run_id) if run_id is not None else None


def get_id() -> str | None:
    ctx = _context()
    if ctx is not None:
        return str(ctx.flow_run_id)
    task_ctx = TaskRunContext.get()
    if task_ctx is not None and task_ctx.flow_run_id is not None:
        return str(task_ctx.flow_run_id)
    return _fields.flow_run_id_from_env()


def _attribute(name: str, empty: Any) -> Any:
    ctx = _context()
    if ctx is not None and ctx.flow_run is not None:
        return getattr(ctx.flow_run, name)
    run = _stored()
    return getattr(run, name) if run is not None else empty


def get_name() -> str | None:
    return _attribute("name", None)


def get_flow_name() -> str | None:
    ctx = _context()
    if ctx is not None:
        return ctx.flow.name
    return _attribute("flow_name", None)


def get_flow_version() -> str | None:
    ctx = _context()
    if ctx is not None:
        return ctx.flow.version
    return _attribute("flow_version", None)


def get_tags() -> list[str]:
    return list(_attribute("tags", []))


def get_parameters() -> dict[str, Any]:
    ctx = _context()
    if ctx is not None:
        return ctx.parameters
    return dict(_attribute("parameters", {}))


def get_run_count() -> int:
    ctx = _context()
    if ctx is not None:
        return ctx.run_count
    return int(_attribute("run_count", 0))


def get_scheduled_start_time() -> dt.datetime:
    value = _attribute("expected_start_time", None)
    return value if value is not None else dt.datetime.now(dt.timezone.utc)


def get_parent_flow_run_id() -> str | None:
    ctx = _context()
    if ctx is not None:
        return str(ctx.parent.flow_run_id) if ctx.parent is not None else None
    value = _attribute("parent_flow_run_id", None)
    return str(value) if value is not None else None


def get_root_flow_run_id() -> str | None:
    ctx = _context()
    if ctx is not None:
        while ctx.parent is not None:
            ctx = ctx.parent
        return str(ctx.flow_run_id)
    run = _stored()
    while run is not None and run.parent_flow_run_id is not None:
        run = _fields.read_flow_run(str(run.parent_flow_run_id))
    return str(run.id) if run is not None else None


def get_deployment_id() -> str | None:
    value = _attribute("deployment_id", None)
    return str(value) if value is not None else None


def get_parent_deployment_id() -> str | None:
    parent_id = get_parent_flow_run_id()
    if parent_id is None:
        return None
    parent = _fields.read_flow_run(parent_id)
    return str(parent.deployment_id) if parent.deployment_id is not None else None


def get_job_variables() -> dict[str, Any] | None:
    deployment_id = get_deployment_id()
    if deployment_id is None:
        return None
    return dict(_fields.read_deployment(deployment_id).job_variables)


def get_api_url() -> str | None:
    run_id = get_id()
    return _fields.api_url(f"flow_runs/{run_id}") if run_id else None


def get_ui_url() -> str | None:
    run_id = get_id()
    return _fields.ui_url(f"flow-runs/{run_id}") if run_id else None


FIELDS = {
    "id": get_id,
    "name": get_name,
    "flow_name": get_flow_name,
    "flow_version": get_flow_version,
    "tags": get_tags,
    "parameters": get_parameters,
    "run_count": get_run_count,
    "scheduled_start_time": get_scheduled_start_time,
    "parent_flow_run_id": get_parent_flow_run_id,
    "parent_deployment_id": get_parent_deployment_id,
    "root_flow_run_id": get_root_flow_run_id,
    "deployment_id": get_deployment_id,
    "job_variables": get_job_variables,
    "api_url": get_api_url,
    "ui_url": get_ui_url,
}


def __getattr__(name: str) -> Any:
    return _fields.lookup(__name__, "FLOW_RUN", FIELDS, name)


def __dir__() -> list[str]:
    return sorted(__all__)
