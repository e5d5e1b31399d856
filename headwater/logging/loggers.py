"""Loggers that know which flow run or task run they speak for."""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
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


def context_flow_logger(ctx: FlowRunContext) -> RunLogger:
    """The logger of the flow run in progress (the engine's; see ``get_run_logger``)."""
    return RunLogger(
        logging.getLogger("headwater.flow_runs"),
        {
            "flow_run_id": ctx.flow_run_id,
            "flow_run_name": ctx.flow_run_name,
            "flow_name": ctx.flow.name,
        },
    )


def context_task_logger(ctx: TaskRunContext, flow_ctx: FlowRunContext | None) -> RunLogger:
    """The logger of the task run in progress (the engine's; see ``get_run_logger``)."""
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
        return context_task_logger(task_ctx, FlowRunContext.get())
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None:
        return context_flow_logger(flow_ctx)
    if _RUN_LOGGERS[0].disabled and _RUN_LOGGERS[1].disabled:
        return RunLogger(_NULL_LOGGER, {})  # inside disable_run_logger(): tests of task.fn
    raise MissingContextError(
        "get_run_logger() needs a run: call it inside a @flow or @task function"
    )


# -- Prefect's helpers: loggers for a run object, and switching run loggers off -----------
_RUN_LOGGERS = (logging.getLogger("headwater.flow_runs"), logging.getLogger("headwater.task_runs"))
_NULL_LOGGER = logging.getLogger("headwater.null")
_NULL_LOGGER.disabled = True


def flow_run_logger(
    flow_run: Any = None, flow: Any = None, flow_run_id: Any = None, **kwargs: Any
) -> RunLogger:
    """A logger whose records belong to ``flow_run`` (a FlowRun, e.g. read with the
    client) or ``flow_run_id``: they are stored with that run."""
    if flow_run is None and flow_run_id is None:
        raise ValueError("flow_run_logger needs flow_run or flow_run_id")
    run_id = flow_run.id if flow_run is not None else flow_run_id
    flow_name = flow.name if flow is not None else getattr(flow_run, "flow_name", None)
    extra = {
        "flow_run_id": str(run_id),
        "flow_run_name": flow_run.name if flow_run is not None else "<unknown>",
        "flow_name": flow_name or "<unknown>",
        **kwargs,
    }
    return RunLogger(_RUN_LOGGERS[0], extra)


def task_run_logger(
    task_run: Any, task: Any = None, flow_run: Any = None, flow: Any = None, **kwargs: Any
) -> RunLogger:
    """A logger whose records belong to ``task_run`` (and its flow run); the flow run
    and flow default to the flow run in progress, if any."""
    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None:
        flow_run = flow_run or flow_ctx.flow_run
        flow = flow or flow_ctx.flow
    flow_run_id = getattr(task_run, "flow_run_id", None)
    flow_name = flow.name if flow is not None else getattr(flow_run, "flow_name", None)
    extra = {
        "task_run_id": str(task_run.id),
        "flow_run_id": str(flow_run_id) if flow_run_id is not None else None,
        "task_run_name": task_run.name,
        "task_name": task.name if task is not None else "<unknown>",
        "flow_run_name": flow_run.name if flow_run is not None else "<unknown>",
        "flow_name": flow_name or "<unknown>",
        **kwargs,
    }
    return RunLogger(_RUN_LOGGERS[1], extra)


@contextmanager
def disable_logger(name: str) -> Iterator[None]:
    """Switch the logger ``name`` off inside the block."""
    logger = logging.getLogger(name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


@contextmanager
def disable_run_logger() -> Iterator[None]:
    """Switch run loggers off inside the block: ``get_run_logger()`` then works outside
    a run too (it logs nowhere), so ``my_task.fn(...)`` can be called in a test."""
    with disable_logger(_RUN_LOGGERS[0].name), disable_logger(_RUN_LOGGERS[1].name):
        yield


def print_as_log(*args: Any, sep: str | None = " ", **kwargs: Any) -> None:
    """``print`` that goes to the run's log inside a run (an INFO line), and prints
    as usual outside one or when given a ``file``."""
    import builtins

    if kwargs.get("file") is None and (TaskRunContext.get() or FlowRunContext.get()):
        get_run_logger().info((sep if sep is not None else " ").join(map(str, args)))
        return
    builtins.print(*args, sep=sep, **kwargs)


#: Prefect's name for the run logger class.
PrefectLogAdapter = RunLogger
