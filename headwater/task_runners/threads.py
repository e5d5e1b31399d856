"""The default runner: a pool of threads in the flow's process."""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import os
from typing import TYPE_CHECKING

from headwater.task_runners.base import TaskRunner

if TYPE_CHECKING:
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_run import TaskRun
    from headwater.states import State


def default_max_workers() -> int:
    return min(32, (os.cpu_count() or 1) + 4)


class ThreadPoolTaskRunner(TaskRunner):
    """Runs task runs in up to ``max_workers`` threads (default: CPUs + 4, at most 32).

    Sync tasks run as they are; async tasks run on an event loop owned by the worker
    thread.  Each task run sees the context (flow run, tags) of the code that
    submitted it.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"max_workers must be a positive integer, got {max_workers!r}")
        self.max_workers = max_workers or default_max_workers()
        self._pool: cf.ThreadPoolExecutor | None = None

    def duplicate(self) -> ThreadPoolTaskRunner:
        return type(self)(self.max_workers)

    def start(self) -> None:
        if self._pool is None:
            self._pool = cf.ThreadPoolExecutor(
                self.max_workers, thread_name_prefix="headwater-task"
            )

    def shutdown(self, wait: bool = True) -> None:
        """Release the threads; ``wait=False`` (a crashed or timed-out flow run) also
        drops the task runs not started yet."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=not wait)
            self._pool = None

    def execute(self, run: TaskRun, resolution: Resolution) -> cf.Future[State]:
        from headwater.engine.task_engine import execute_async_to_state, execute_sync_to_state

        if self._pool is None:
            self.start()
        assert self._pool is not None
        context = contextvars.copy_context()
        body = execute_async_to_state if run.task.is_async else execute_sync_to_state
        return self._pool.submit(context.run, body, run, resolution)

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"
