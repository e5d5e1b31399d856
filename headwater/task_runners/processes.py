"""Task runs in a pool of separate processes (CPU-bound work, no shared GIL).

Each task run goes to a child as a remote task call (``headwater.task_runners.remote_call``)
pickled with cloudpickle (so functions defined in ``__main__`` or notebooks work); the
child runs the normal task engine and sends back the final state with its result and
the run's records, which the flow run's writer stores (a task that runs long writes
them from the child, through its own writer, before it answers).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from typing import TYPE_CHECKING

from headwater.task_runners.base import TaskRunner
from headwater.task_runners.remote_call import CallPacker

if TYPE_CHECKING:
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_run import TaskRun
    from headwater.states import State


class ProcessPoolTaskRunner(TaskRunner):
    """Runs task runs in up to ``max_workers`` processes (default: the CPU count).

    Arguments and results must be picklable by cloudpickle.  Processes are started
    with ``spawn`` (safe with threads), so the first task pays the start-up.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise ValueError(f"max_workers must be a positive integer, got {max_workers!r}")
        self.max_workers = max_workers or os.cpu_count() or 1
        self._pool: cf.ProcessPoolExecutor | None = None
        self._packer = CallPacker()

    def duplicate(self) -> ProcessPoolTaskRunner:
        return type(self)(self.max_workers)

    def start(self) -> None:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                self.max_workers, mp_context=multiprocessing.get_context("spawn")
            )

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=not wait)
            self._pool = None

    def execute(self, run: TaskRun, resolution: Resolution) -> cf.Future[State]:
        import cloudpickle

        from headwater.task_runners.remote_call import adopt, lost, run_remote_pickled

        if self._pool is None:
            self.start()
        assert self._pool is not None
        payload = self._packer.pickled(run, resolution)
        outer: cf.Future[State] = cf.Future()
        inner = self._pool.submit(run_remote_pickled, payload)

        def finish(done: cf.Future[bytes]) -> None:
            try:
                outcome = cloudpickle.loads(done.result())
            except BaseException as exc:  # the child died or the result did not unpickle
                state = lost(run, f"the task's process failed: {exc!r}")
            else:
                state = adopt(run, outcome)
            outer.set_result(state)

        inner.add_done_callback(finish)
        return outer

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"
