"""Task runs in a pool of separate processes (CPU-bound work, no shared GIL).

The task, its resolved arguments and the run's identity are sent with cloudpickle
(so functions defined in ``__main__`` or notebooks work); the child runs the normal
task engine, records the run in the same store through its own writer, flushes,
and sends back the final state with its result.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.task_runners.base import TaskRunner

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

        if self._pool is None:
            self.start()
        assert self._pool is not None
        flow_ctx = run.flow_ctx
        payload = cloudpickle.dumps(
            {
                "task": run.task,
                "args": resolution.args,
                "kwargs": resolution.kwargs,
                "lineage": resolution.lineage,
                "task_run_id": run.id,
                "dynamic_key": run.record.dynamic_key,
                "tags": run.record.tags,
                "flow": flow_ctx.flow if flow_ctx else None,
                "flow_run_id": flow_ctx.flow_run_id if flow_ctx else None,
                "flow_run_name": flow_ctx.flow_run_name if flow_ctx else None,
                "flow_run_count": flow_ctx.run_count if flow_ctx else 1,
                "log_prints": flow_ctx.log_prints if flow_ctx else False,
                "results": flow_ctx.results if flow_ctx else None,
            }
        )
        outer: cf.Future[State] = cf.Future()
        inner = self._pool.submit(_run_in_child, payload)

        def finish(done: cf.Future[bytes]) -> None:
            try:
                state = cloudpickle.loads(done.result())
            except BaseException as exc:  # the child died or the result did not unpickle
                run.set_running()
                run.failed(RuntimeError(f"the task's process failed: {exc!r}"))
                state = run.state()
            else:
                _mirror(run, state)
            outer.set_result(state)

        inner.add_done_callback(finish)
        return outer

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"


def _mirror(run: TaskRun, state: State) -> None:
    """Reflect the child's final state in the parent's copy of the record (for
    ``future.state`` and lineage); the child already stored it, so this copy, which
    this process never handed to its writer, is not handed over either."""
    from headwater.schemas.records import transition

    record = run.record
    transition(record, state.type, state.name, state.message)
    if state.is_completed() and state.has_data and run.flow_ctx is not None:
        run.flow_ctx.remember_result(state.data, record.id)


def _run_in_child(payload: bytes) -> bytes:
    """Entry point in the worker process."""
    import cloudpickle

    from headwater.client.backend import get_backend
    from headwater.context import FlowRunContext, _flow_run
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_engine import execute_async_to_state, execute_sync_to_state
    from headwater.engine.task_run import TaskRun
    from headwater.logging.configuration import setup_logging
    from headwater.settings import get_settings
    from headwater.states import Failed
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    job: dict[str, Any] = cloudpickle.loads(payload)
    setup_logging(get_settings())
    backend = get_backend()
    flow_ctx = None
    token = None
    if job["flow"] is not None:
        flow_ctx = FlowRunContext(
            flow=job["flow"],
            flow_run_id=job["flow_run_id"],
            flow_run_name=job["flow_run_name"],
            parameters={},
            run_count=job["flow_run_count"],
            task_runner=ThreadPoolTaskRunner(),
            backend=backend,
            log_prints=job["log_prints"],
            parent=None,
            results=job.get("results"),
        )
        token = _flow_run.set(flow_ctx)
    task_run_id: UUID = job["task_run_id"]
    run = TaskRun(
        job["task"],
        flow_ctx,
        backend.writer,
        task_run_id=task_run_id,
        dynamic_key=job["dynamic_key"],
    )
    run.record.tags = job["tags"]  # before its first hand-off: the owner may
    resolution = Resolution()
    resolution.args, resolution.kwargs, resolution.lineage = (
        job["args"],
        job["kwargs"],
        job["lineage"],
    )
    try:
        body = execute_async_to_state if run.task.is_async else execute_sync_to_state
        state = body(run, resolution)
    finally:
        backend.writer.flush()
        if token is not None:
            _flow_run.reset(token)
    try:
        return cloudpickle.dumps(state)
    except Exception as exc:
        return cloudpickle.dumps(Failed(message=f"the task's result cannot be pickled: {exc}"))
