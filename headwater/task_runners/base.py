"""The task-runner interface: where submitted task runs execute.

A runner only has to implement ``execute`` (start one task run whose inputs are
ready).  Waiting for upstream futures is done here, without holding a worker: a task
whose inputs are futures is started by the callback of its last unfinished upstream.
A Dask or Ray runner implements ``execute`` (and may override ``submit`` to let its
own scheduler handle dependencies).
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import contextvars
import threading
import weakref
from typing import TYPE_CHECKING, Any

from headwater.engine.inputs import Resolution, find_futures, resolve_inputs
from headwater.futures import HeadwaterFuture

if TYPE_CHECKING:
    from headwater.context import FlowRunContext
    from headwater.engine.task_run import TaskRun
    from headwater.states import State
    from headwater.tasks import Task


class TaskRunner(abc.ABC):
    """Runs submitted task runs concurrently; used as a context manager per flow run."""

    def __enter__(self) -> TaskRunner:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def start(self) -> None:  # noqa: B027 - optional for runners without resources
        """Acquire resources (pools, clusters); called when the flow run starts."""

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - see start
        """Release resources; called when the flow run ends."""

    def drain(self, timeout: float) -> None:  # noqa: B027 - see start
        """Make the workers write the records they still hold (called before the flow
        run's final state); runners whose workers write each record before answering
        have nothing to do."""

    @abc.abstractmethod
    def duplicate(self) -> TaskRunner:
        """A fresh, unstarted runner with the same configuration (one per flow run)."""

    @abc.abstractmethod
    def execute(self, run: TaskRun, resolution: Resolution) -> cf.Future[State]:
        """Start ``run`` with its resolved inputs; the future gets its final State."""

    # -- shared machinery ------------------------------------------------------------
    def submit(
        self,
        task: Task[Any, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        wait_for: Any,
        flow_ctx: FlowRunContext | None,
    ) -> HeadwaterFuture[Any]:
        from headwater.engine.task_engine import new_task_run

        run = new_task_run(task, flow_ctx)
        upstream = [f for f in find_futures(args, kwargs, wait_for) if not f.done()]
        if not upstream:
            outer = self._start(run, args, kwargs, wait_for)
        else:
            outer = cf.Future()
            remaining = [len(upstream)]
            lock = threading.Lock()
            submitted_in = contextvars.copy_context()  # the flow run, tags() in force

            def on_upstream_done(_: cf.Future[State]) -> None:
                with lock:
                    remaining[0] -= 1
                    last = remaining[0] == 0
                if last:
                    started = submitted_in.run(self._start, run, args, kwargs, wait_for)
                    _chain(started, outer)

            for future in upstream:
                future._future.add_done_callback(on_upstream_done)
        future = HeadwaterFuture(run.id, outer, run.record)
        if flow_ctx is not None:
            _track(flow_ctx, future, outer)
        return future

    def _start(
        self, run: TaskRun, args: tuple[Any, ...], kwargs: dict[str, Any], wait_for: Any
    ) -> cf.Future[State]:
        try:
            names = run.task.binder.names
            resolution = resolve_inputs(args, kwargs, wait_for, names, run.flow_ctx)
            return self.execute(run, resolution)
        except BaseException as exc:  # e.g. an argument that cannot be sent to a process
            failed: cf.Future[State] = cf.Future()
            run.set_running()
            run.failed(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            failed.set_result(run.state())
            return failed


def _chain(source: cf.Future[State], target: cf.Future[State]) -> None:
    def copy(done: cf.Future[State]) -> None:
        exc = done.exception()
        if exc is not None:
            target.set_exception(exc)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)


def _track(flow_ctx: FlowRunContext, future: HeadwaterFuture[Any], inner: cf.Future[State]) -> None:
    """Keep the future until it finishes so the flow run can wait for it; a weak
    reference in the callback avoids a cycle that would keep results alive."""
    pending = flow_ctx.pending_futures
    pending.add(future)
    ref = weakref.ref(future)

    def forget(_: cf.Future[State]) -> None:
        strong = ref()
        if strong is not None:
            pending.discard(strong)

    inner.add_done_callback(forget)
