"""One task run in progress: its record, its transitions, and the retry decisions.

This is the engine's hot path, so it works on the compact record (a dict that goes
to the batching writer as is) and builds ``State`` objects only when someone needs
one (a future, ``return_state=True``, a hook).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.context import FlowRunContext, TaskRunContext, current_tags
from headwater.exceptions import TaskRunTimeoutError, UpstreamTaskError
from headwater.states import _NO_DATA, State, StateDetails, StateType, exception_message
from headwater.utilities.ids import new_id
from headwater.utilities.tracebacks import trim_engine_frames

if TYPE_CHECKING:
    from headwater.client.writer import BatchingWriter
    from headwater.engine.task_results import TaskPlan
    from headwater.schemas.records import TaskRunRecord
    from headwater.tasks import Task

logger = logging.getLogger("headwater.task_runs")

_NOTHING: Any = _NO_DATA

_PENDING = StateType.PENDING.value
_RUNNING = StateType.RUNNING.value
_COMPLETED = StateType.COMPLETED.value
_FAILED = StateType.FAILED.value
_SCHEDULED = StateType.SCHEDULED.value
_CRASHED = StateType.CRASHED.value


class TaskRunView:
    """What hooks and ``retry_condition_fn`` receive as ``task_run``."""

    __slots__ = ("flow_run_id", "id", "name", "run_count", "tags", "task_key")

    def __init__(self, run: TaskRun) -> None:
        record = run.record
        self.id = record["id"]
        self.name = record["name"]
        self.flow_run_id = record["flow_run_id"]
        self.task_key = record["task_key"]
        self.run_count = record["run_count"]
        self.tags = record["tags"]


#: A plain history (Pending -> Running -> final, no retries) is stored as ``[]``;
#: readers rebuild it from ``created``/``start_time``/the state (see tables.py).
PLAIN_HISTORY: list[list[Any]] = []


class TaskRun:
    __slots__ = (
        "cache_key",
        "context",
        "exception",
        "flow_ctx",
        "parameters",
        "plain",
        "plan",
        "record",
        "task",
        "transitions",
        "value",
        "writer",
    )

    def __init__(
        self,
        task: Task[Any, Any],
        flow_ctx: FlowRunContext | None,
        writer: BatchingWriter,
        *,
        task_run_id: UUID | None = None,
        dynamic_key: str | None = None,
    ) -> None:
        self.task = task
        self.flow_ctx = flow_ctx
        self.writer = writer
        self.value: Any = _NOTHING
        self.exception: BaseException | None = None
        self.parameters: dict[str, Any] = {}
        self.context: TaskRunContext | None = None
        self.plain = True
        if dynamic_key is None:
            dynamic_key = (
                flow_ctx.next_dynamic_key(task.task_key)
                if flow_ctx is not None
                else task.next_orphan_key()
            )
        extra_tags = current_tags()
        now = time.time()
        self.record: TaskRunRecord = {
            "id": task_run_id or new_id(),
            "flow_run_id": flow_ctx.flow_run_id if flow_ctx is not None else None,
            "task_key": task.task_key,
            "dynamic_key": dynamic_key,
            "name": f"{task.name}-{dynamic_key}",
            "state_type": _PENDING,
            "state_name": "Pending",
            "state_message": None,
            "state_timestamp": now,
            "transitions": PLAIN_HISTORY,
            "tags": sorted(task.tags | extra_tags) if extra_tags else task.sorted_tags,
            "inputs": {},
            "run_count": 0,
            "flow_run_attempt": flow_ctx.run_count if flow_ctx is not None else 1,
            "cache_key": None,
            "result": None,
            "start_time": None,
            "end_time": None,
            "created": now,
            "updated": now,
        }
        self.transitions: list[list[Any]] = [[_PENDING, "Pending", now, None]]
        self.cache_key: str | None = None
        # None (the plain path) unless results are persisted or a flow run resumes.
        if task.result_options is None and (flow_ctx is None or flow_ctx.results is None):
            self.plan: TaskPlan | None = None if flow_ctx is not None else _orphan_plan(task)
        else:
            from headwater.engine.task_results import plan_for

            self.plan = plan_for(task, flow_ctx)

    @property
    def id(self) -> UUID:
        return self.record["id"]

    @property
    def name(self) -> str:
        return self.record["name"]

    # -- transitions ------------------------------------------------------------------
    def _move(
        self, state_type: str, name: str, message: str | None, now: float, plain: bool = True
    ) -> None:
        record = self.record
        record["state_type"] = state_type
        record["state_name"] = name
        record["state_message"] = message
        record["state_timestamp"] = now
        record["updated"] = now
        self.transitions.append([state_type, name, now, message])
        if not plain and self.plain:
            self.plain = False
            record["transitions"] = self.transitions

    def set_inputs(self, parameters: dict[str, Any], lineage: dict[str, list[str]]) -> None:
        self.parameters = parameters
        if lineage:
            self.record["inputs"] = lineage
        template = self.task.task_run_name
        if template is not None:
            self.record["name"] = self.task.format_run_name(parameters)

    def set_running(self) -> None:
        record = self.record
        now = time.time()
        record["run_count"] += 1
        if record["start_time"] is None:
            record["start_time"] = now
        self._move(_RUNNING, "Running" if record["run_count"] == 1 else "Retrying", None, now)
        self.writer.put_task_run(record.copy())

    def enter(self) -> TaskRunContext:
        flow_ctx = self.flow_ctx
        task = self.task
        log_prints = task.log_prints
        if log_prints is None:
            log_prints = flow_ctx.log_prints if flow_ctx is not None else False
        self.context = TaskRunContext(
            task=task,
            task_run_id=self.record["id"],
            task_run_name=self.record["name"],
            flow_run_id=self.record["flow_run_id"],
            parameters=self.parameters,
            run_count=self.record["run_count"],
            log_prints=log_prints,
        )
        return self.context

    def completed(self, value: Any) -> None:
        if isinstance(value, State):
            self._finish_with_state(value)
            return
        now = time.time()
        self.value = value
        record = self.record
        if self.plan is not None:
            from headwater.engine.task_results import persist

            record["result"] = persist(self, value)
            record["cache_key"] = self.cache_key
        record["end_time"] = now
        self._move(_COMPLETED, "Completed", None, now)
        self.writer.put_task_run(record)
        if self.flow_ctx is not None:
            self.flow_ctx.remember_result(value, record["id"])
        if self.task.on_completion:
            self._run_hooks(self.task.on_completion)
        if logger.isEnabledFor(logging.DEBUG):
            self._logger().debug("Finished in state Completed()")

    def cached(self, value: Any, ref: dict[str, Any] | None) -> None:
        """The result came from the cache or a previous attempt: the run ends Cached."""
        now = time.time()
        self.value = value
        record = self.record
        record["end_time"] = now
        record["cache_key"] = self.cache_key
        record["result"] = ref
        self._move(_COMPLETED, "Cached", None, now)
        self.writer.put_task_run(record)
        if self.flow_ctx is not None:
            self.flow_ctx.remember_result(value, record["id"])
        if self.task.on_completion:
            self._run_hooks(self.task.on_completion)
        if logger.isEnabledFor(logging.DEBUG):
            self._logger().debug("Finished in state Cached()")

    def _finish_with_state(self, state: State) -> None:
        """The task returned a State: it becomes the task run's final state."""
        if state.is_completed():
            self.value = state.data if state.has_data else None
        elif isinstance(state.data, BaseException):
            self.exception = state.data
        now = time.time()
        self.record["end_time"] = now
        self._move(state.type.value, state.name, state.message, now)
        self.writer.put_task_run(self.record)

    def failed(self, exc: BaseException, final: bool = False) -> float | None:
        """Record a failed attempt; the delay before the next one, or None if final."""
        now = time.time()
        record = self.record
        timed_out = isinstance(exc, TaskRunTimeoutError)
        if timed_out:
            message = f"task run exceeded its timeout of {self.task.timeout_seconds} s"
            exc = TaskRunTimeoutError(message)
        else:
            message = exception_message(exc)
            exc = exc.with_traceback(trim_engine_frames(exc.__traceback__))
        task = self.task
        attempt = record["run_count"]
        if not final and attempt <= task.retries and self._should_retry(exc, message):
            delay = task.retry_delay_for(attempt)
            self._move(_FAILED, "Failed", message, now, plain=False)
            self._move(_SCHEDULED, "AwaitingRetry", message, now, plain=False)
            self.writer.put_task_run(record.copy())
            self._logger().warning(
                "Attempt %d failed with %s - retry %d/%d in %.3g s",
                attempt,
                message,
                attempt,
                task.retries,
                delay,
            )
            return delay
        self.exception = exc
        record["end_time"] = now
        self._move(_FAILED, "TimedOut" if timed_out else "Failed", message, now)
        self.writer.put_task_run(record)
        self._logger().error(
            "Finished in state Failed(%r)", message, exc_info=None if timed_out else exc
        )
        if task.on_failure:
            self._run_hooks(task.on_failure)
        return None

    def _should_retry(self, exc: BaseException, message: str) -> bool:
        condition = self.task.retry_condition_fn
        if condition is None:
            return True
        state = State(StateType.FAILED, "Failed", message, data=exc)
        try:
            return bool(condition(self.task, TaskRunView(self), state))
        except Exception as hook_exc:
            self._logger().error("retry_condition_fn raised %r; not retrying", hook_exc)
            return False

    def not_ready(self, reason: str) -> None:
        now = time.time()
        self.exception = UpstreamTaskError(reason)
        self._move(_PENDING, "NotReady", reason, now)
        self.writer.put_task_run(self.record)
        self._logger().warning("Not run: %s", reason)

    def crashed(self, exc: BaseException) -> None:
        now = time.time()
        self.exception = exc
        self.record["end_time"] = now
        message = f"interrupted by {exception_message(exc)}"
        self._move(_CRASHED, "Crashed", message, now)
        self.writer.put_task_run(self.record)

    # -- outcome ---------------------------------------------------------------------
    def state(self) -> State:
        record = self.record
        details = StateDetails(flow_run_id=record["flow_run_id"], task_run_id=record["id"])
        data = self.value
        if data is _NOTHING and self.exception is not None:
            data = self.exception
        ref = record["result"]
        if ref is not None:
            details.result_ref = ref
            details.cache_key = record["cache_key"]
            plan = self.plan
            if plan is not None and not plan.in_memory:
                data = _NOTHING  # read back from storage when asked for
        return State(
            record["state_type"],
            record["state_name"],
            record["state_message"],
            data=data,
            state_details=details,
        )

    def result(self) -> Any:
        """The value for a direct call: the return value, or raise the failure."""
        if self.value is not _NOTHING:
            return self.value
        if self.exception is not None:
            raise self.exception
        return self.state().result()

    def _run_hooks(self, hooks: list[Any]) -> None:
        state = self.state()
        view = TaskRunView(self)
        for hook in hooks:
            try:
                hook(self.task, view, state)
            except Exception as exc:
                self._logger().error(
                    "Hook %r raised %s", getattr(hook, "__name__", hook), exception_message(exc)
                )

    def _logger(self) -> logging.LoggerAdapter:
        from headwater.logging.loggers import task_run_logger

        ctx = self.context or self.enter()
        return task_run_logger(ctx, self.flow_ctx)


def _orphan_plan(task: Task[Any, Any]) -> TaskPlan | None:
    """A task called outside any flow run persists only if the settings say so."""
    from headwater.settings import get_settings

    if not get_settings().results_persist_by_default:
        return None
    from headwater.engine.task_results import plan_for

    return plan_for(task, None)
