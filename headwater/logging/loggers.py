"""Loggers that know which flow run or task run they speak for."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from headwater.context import FlowRunContext, TaskRunContext
from headwater.exceptions import MissingContextError


class RunLogger(logging.LoggerAdapter):
    """A logger whose records carry run ids (stored with the run, shown with its name)."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = kwargs.get("extra")
        base = dict(self.extra or {})
        kwargs["extra"] = {**base, **extra} if extra else base
        return msg, kwargs


def get_logger(name: str | None = None) -> logging.Logger:
    """A logger under ``headwater`` (handlers configured by the engine)."""
    return logging.getLogger("headwater" if not name else f"headwater.{name}")


def flow_run_logger(ctx: FlowRunContext) -> RunLogger:
    return RunLogger(
        logging.getLogger("headwater.flow_runs"),
        {
            "flow_run_id": ctx.flow_run_id,
            "flow_run_name": ctx.flow_run_name,
            "flow_name": ctx.flow.name,
        },
    )


def task_run_logger(ctx: TaskRunContext, flow_ctx: FlowRunContext | None) -> RunLogger:
    extra: dict[str, Any] = {
        "task_run_id": ctx.task_run_id,
        "task_run_name": ctx.task_run_name,
        "task_name": ctx.task.name,
        "flow_run_id": ctx.flow_run_id,
    }
    if flow_ctx is not None:
        extra["flow_run_name"] = flow_ctx.flow_run_name
        extra["flow_name"] = flow_ctx.flow.name
    return RunLogger(logging.getLogger("headwater.task_runs"), extra)


def get_run_logger() -> RunLogger:
    """The logger of the task run or flow run in progress.

    Its records are printed to the console and stored with the run.
    """
    task_ctx = TaskRunContext.get()
    if task_ctx is not None:
        return task_run_logger(task_ctx, FlowRunContext.get())
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None:
        return flow_run_logger(flow_ctx)
    raise MissingContextError(
        "get_run_logger() needs a run: call it inside a @flow or @task function"
    )
