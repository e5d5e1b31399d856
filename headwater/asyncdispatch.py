"""One implementation, two ways to call it: Prefect 3's ``async_dispatch`` convention.

``Block.load``, ``Variable.get`` and friends are synchronous functions.  Called from
an async flow or task (or any running event loop), they return an awaitable instead,
so ported Prefect code that writes ``await Secret.load("x")`` keeps working; the work
then runs in a worker thread so it does not block the event loop.  ``_sync=True``
forces the synchronous call anywhere, ``_sync=False`` the awaitable.

It reads the run context (is this task or flow ``async def``?), so it sits above
``headwater.context`` and not in ``utilities`` (helpers with no Headwater concepts).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def in_async_context() -> bool:
    """True inside an async task or flow run, or in a coroutine with a running loop."""
    from headwater.context import FlowRunContext, TaskRunContext

    task_run = TaskRunContext.get()
    if task_run is not None:
        return bool(task_run.task.is_async)
    flow_run = FlowRunContext.get()
    if flow_run is not None:
        return bool(flow_run.flow.is_async)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return _called_from_coroutine()


_ASYNC_CODE = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


def _called_from_coroutine() -> bool:
    """Is a coroutine on the calling stack?  A loop can be marked running in a thread
    with no coroutine in sight (Playwright's sync API and other greenlet bridges do
    this), and plain synchronous code there must get a plain answer."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_flags & _ASYNC_CODE:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def async_dispatch(fn: F) -> F:
    """Make ``fn`` return an awaitable of its result when called in an async context."""

    @functools.wraps(fn)
    def wrapper(*args: Any, _sync: bool | None = None, **kwargs: Any) -> Any:
        if _sync is True or (_sync is None and not in_async_context()):
            return fn(*args, **kwargs)
        return asyncio.to_thread(fn, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


async def run_in_thread(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """The awaitable form of a synchronous call (the ``a``-prefixed methods use it)."""
    return await asyncio.to_thread(fn, *args, **kwargs)
