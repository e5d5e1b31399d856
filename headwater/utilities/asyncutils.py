"""Running coroutines from synchronous threads on one background event loop.

Async tasks submitted to a thread runner run here, so they are concurrent with each
other (as async code expects) and no event loop is created per task or left open
when worker threads exit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def background_loop() -> asyncio.AbstractEventLoop:
    """The process's background event loop (started on first use)."""
    global _loop
    loop = _loop
    if loop is not None and not loop.is_closed():
        return loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="headwater-async", daemon=True).start()
        return _loop


def run_coroutine_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop in the caller's context; wait for it."""
    loop = background_loop()
    outcome: cf.Future[T] = cf.Future()

    def start() -> None:
        task = asyncio.ensure_future(coro)

        def copy(done: asyncio.Future[T]) -> None:
            if done.cancelled():
                outcome.cancel()
            elif done.exception() is not None:
                outcome.set_exception(done.exception())
            else:
                outcome.set_result(done.result())

        task.add_done_callback(copy)

    loop.call_soon_threadsafe(start, context=contextvars.copy_context())
    return outcome.result()
