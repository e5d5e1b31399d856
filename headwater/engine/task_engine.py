"""Running a task: resolve inputs, run attempts with retries and timeouts, record.

One core (``TaskRun`` in ``task_run.py``) and two thin drivers: ``execute_sync`` and
``execute_async``.  The drivers differ only in how they call the function and sleep.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from headwater.context import FlowRunContext, _task_run
from headwater.engine.inputs import Resolution, find_futures, resolve_inputs
from headwater.engine.task_run import TaskRun
from headwater.exceptions import TaskRunTimeoutError
from headwater.states import State
from headwater.utilities.timeout import timeout_after

if TYPE_CHECKING:
    from headwater.tasks import Task


def _writer_for(flow_ctx: FlowRunContext | None) -> Any:
    if flow_ctx is not None:
        return flow_ctx.backend.writer
    from headwater.client.backend import get_backend
    from headwater.logging.configuration import setup_logging
    from headwater.settings import get_settings

    setup_logging(get_settings())
    return get_backend().writer


def new_task_run(task: Task[Any, Any], flow_ctx: FlowRunContext | None) -> TaskRun:
    return TaskRun(task, flow_ctx, _writer_for(flow_ctx))


def _bind(run: TaskRun, resolution: Resolution) -> bool:
    """Record the inputs; False (and the run NotReady) if an upstream did not complete."""
    try:
        parameters = run.task.binder.bind(resolution.args, resolution.kwargs)
    except TypeError as exc:
        raise TypeError(f"task {run.task.name!r}: {exc}") from None
    run.set_inputs(parameters, resolution.lineage)
    if resolution.failed_upstream is not None:
        run.not_ready(resolution.failed_upstream)
        return False
    return True


# -- sync ---------------------------------------------------------------------------


def call_task_sync(
    task: Task[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    wait_for: Any = None,
    return_state: bool = False,
) -> Any:
    """A direct call of a sync task: run it here, now."""
    flow_ctx = FlowRunContext.get()
    run = new_task_run(task, flow_ctx)
    resolution = resolve_inputs(args, kwargs, wait_for, task.binder.names, flow_ctx)
    execute_sync(run, resolution)
    return run.state() if return_state else run.result()


def execute_sync(run: TaskRun, resolution: Resolution) -> None:
    if not _bind(run, resolution):
        return
    if run.record.tags:  # tag concurrency limits (see concurrency/tags.py)
        from headwater.concurrency.tags import take_tag_slots

        slots = take_tag_slots(run)
        if slots is not None:
            try:
                _execute_sync(run, resolution)
            finally:
                slots.release()
            return
    _execute_sync(run, resolution)


def _execute_sync(run: TaskRun, resolution: Resolution) -> None:
    if run.plan is not None:  # persisted results, caching or a resumed flow run
        from headwater.engine.task_results import run_sync

        run_sync(run, lambda: _attempts_sync(run, resolution))
        return
    _attempts_sync(run, resolution)


def _attempts_sync(run: TaskRun, resolution: Resolution) -> None:
    task = run.task
    fn = task.fn
    args, kwargs = resolution.args, resolution.kwargs
    timeout = task.timeout_seconds
    while True:
        run.set_running()
        token = _task_run.set(run.enter())
        try:
            if timeout is None:
                value = fn(*args, **kwargs)
            else:
                with timeout_after(timeout, TaskRunTimeoutError):
                    value = fn(*args, **kwargs)
        except Exception as exc:
            _task_run.reset(token)
            delay = run.failed(exc)
            if delay is None:
                return
            if delay > 0:
                time.sleep(delay)
            continue
        except BaseException as exc:
            _task_run.reset(token)
            run.crashed(exc)
            raise
        _task_run.reset(token)
        run.completed(value)
        return


def execute_sync_to_state(run: TaskRun, resolution: Resolution) -> State:
    execute_sync(run, resolution)
    return run.state()


# -- async --------------------------------------------------------------------------


async def call_task_async(
    task: Task[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    wait_for: Any = None,
    return_state: bool = False,
) -> Any:
    """A direct call of an async task (awaited by the caller)."""
    flow_ctx = FlowRunContext.get()
    run = new_task_run(task, flow_ctx)
    names = task.binder.names
    pending = [f for f in find_futures(args, kwargs, wait_for) if not f.done()]
    if pending:  # don't block the event loop waiting for upstream threads
        resolution = await asyncio.to_thread(
            resolve_inputs, args, kwargs, wait_for, names, flow_ctx
        )
    else:
        resolution = resolve_inputs(args, kwargs, wait_for, names, flow_ctx)
    await execute_async(run, resolution)
    return run.state() if return_state else run.result()


async def execute_async(run: TaskRun, resolution: Resolution) -> None:
    if not _bind(run, resolution):
        return
    if run.record.tags:
        from headwater.concurrency.tags import take_tag_slots_async

        slots = await take_tag_slots_async(run)
        if slots is not None:
            try:
                await _execute_async(run, resolution)
            finally:
                await asyncio.to_thread(slots.release)
            return
    await _execute_async(run, resolution)


async def _execute_async(run: TaskRun, resolution: Resolution) -> None:
    if run.plan is not None:
        from headwater.engine.task_results import run_async

        await run_async(run, lambda: _attempts_async(run, resolution))
        return
    await _attempts_async(run, resolution)


async def _attempts_async(run: TaskRun, resolution: Resolution) -> None:
    task = run.task
    timeout = task.timeout_seconds
    while True:
        run.set_running()
        token = _task_run.set(run.enter())
        try:
            coro = task.fn(*resolution.args, **resolution.kwargs)
            if timeout is None:
                value = await coro
            else:
                try:
                    value = await asyncio.wait_for(coro, timeout)
                except asyncio.TimeoutError:
                    raise TaskRunTimeoutError("timed out") from None
        except Exception as exc:
            _task_run.reset(token)
            delay = run.failed(exc)
            if delay is None:
                return
            if delay > 0:
                await asyncio.sleep(delay)
            continue
        except BaseException as exc:
            _task_run.reset(token)
            run.crashed(exc)
            raise
        _task_run.reset(token)
        run.completed(value)
        return


def execute_async_to_state(run: TaskRun, resolution: Resolution) -> State:
    from headwater.utilities.asyncutils import run_coroutine_sync

    run_coroutine_sync(execute_async(run, resolution))
    return run.state()
