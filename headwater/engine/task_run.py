"""One task run in progress: its record, its transitions, and the retry decisions.

This is the engine's hot path, so it works on the compact record (a slotted
``TaskRunRecord`` that goes to the batching writer as is, changed only through
``transition``) and builds ``State`` objects only when someone needs one (a future,
``return_state=True``, a hook).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.context import FlowRunContext, TaskRunContext, TaskRunView, current_tags
from headwater.exceptions import TaskRunTimeoutError, TerminationSignal, UpstreamTaskError
from headwater.schemas.records import TaskRunRecord, new_task_run_record, transition
from headwater.states import _NO_DATA, State, StateDetails, StateType, exception_message
from headwater.transactions.transaction import get_transaction
from headwater.utilities.ids import new_id
from headwater.utilities.tracebacks import trim_engine_frames

if TYPE_CHECKING:
    from headwater.client.writer import BatchingWriter
    from headwater.engine.task_results import TaskPlan
    from headwater.tasks import Task

logger = logging.getLogger("headwater.task_runs")

_NOTHING: Any = _NO_DATA

_PENDING = StateType.PENDING
_RUNNING = StateType.RUNNING
_COMPLETED = StateType.COMPLETED
_FAILED = StateType.FAILED
_SCHEDULED = StateType.SCHEDULED
_CRASHED = StateType.CRASHED


class TaskRun:
    __slots__ = (
        "cache_key",
        "context",
        "exception",
        "flow_ctx",
        "parameters",
        "plan",
        "record",
        "task",
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
        if dynamic_key is None:
            dynamic_key = (
                flow_ctx.next_dynamic_key(task.task_key)
                if flow_ctx is not None
                else task.next_orphan_key()
            )
        extra_tags = current_tags()
        self.record: TaskRunRecord = new_task_run_record(
            task_run_id or new_id(),
            flow_ctx.flow_run_id if flow_ctx is not None else None,
            task.task_key,
            dynamic_key,
            f"{task.name}-{dynamic_key}",
            sorted(task.tags | extra_tags) if extra_tags else task.sorted_tags,
            flow_ctx.run_count if flow_ctx is not None else 1,
            time.time(),
        )
        self.cache_key: str | None = None
        # None (the plain path) unless results are persisted or a flow run resumes.
        if task.result_options is None and (flow_ctx is None or flow_ctx.results is None):
            self.plan: TaskPlan | None = None if flow_ctx is not None else _orphan_plan(task)
        else:
            from headwater.engine.task_results import plan_for

            self.plan = plan_for(task, flow_ctx)

    @property
    def id(self) -> UUID:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    # -- transitions (each through ``transition``; see TaskRunRecord for hand-offs) ----
    def set_inputs(self, parameters: dict[str, Any], lineage: dict[str, list[str]]) -> None:
        self.parameters = parameters
        if lineage:
            self.record.inputs = lineage
        template = self.task.task_run_name
        if template is not None:
            self.record.name = self.task.format_run_name(parameters)

    def set_running(self) -> None:
        record = self.record
        transition(record, _RUNNING, "Retrying" if record.run_count else "Running")
        self.writer.put_task_run(record.copy())  # the run moves on: hand over a snapshot
        if self.task.on_running_hooks:
            self._run_hooks(self.task.on_running_hooks)

    def enter(self) -> TaskRunContext:
        flow_ctx = self.flow_ctx
        task = self.task
        log_prints = task.log_prints
        if log_prints is None:
            log_prints = flow_ctx.log_prints if flow_ctx is not None else False
        self.context = TaskRunContext(
            task=task,
            task_run_id=self.record.id,
            task_run_name=self.record.name,
            flow_run_id=self.record.flow_run_id,
            parameters=self.parameters,
            run_count=self.record.run_count,
            log_prints=log_prints,
            record=self.record,
        )
        return self.context

    def completed(self, value: Any) -> None:
        if isinstance(value, State):
            self._finish_with_state(value)
            return
        self.value = value
        record = self.record
        txn = get_transaction()
        task = self.task
        if txn is not None:
            txn.note_task_run(record.id)  # shown with the transaction (or counted)
        if self.plan is not None:
            if txn is not None and not txn.implicit and not txn.is_committed():
                from headwater.engine.task_transactions import stage_result

                record.result = stage_result(self, value, txn)  # written on commit
                txn = None
            else:
                from headwater.engine.task_results import persist

                record.result = persist(self, value)
            record.cache_key = self.cache_key
        if txn is not None and (task.on_commit_hooks or task.on_rollback_hooks):
            from headwater.engine.task_transactions import join

            join(self, txn)
        transition(record, _COMPLETED, "Completed")
        self.writer.put_task_run(record)  # its last transition: handed over for good
        if self.flow_ctx is not None:
            self.flow_ctx.remember_result(value, record.id)
        if self.task.on_completion_hooks:
            self._run_hooks(self.task.on_completion_hooks)
        if logger.isEnabledFor(logging.DEBUG):
            self._logger().debug("Finished in state Completed()")

    def cached(self, value: Any, ref: dict[str, Any] | None) -> None:
        """The result came from the cache or a previous attempt: the run ends Cached."""
        self.value = value
        record = self.record
        record.cache_key = self.cache_key
        record.result = ref
        _took_part(record.id)
        transition(record, _COMPLETED, "Cached")
        self.writer.put_task_run(record)
        if self.flow_ctx is not None:
            self.flow_ctx.remember_result(value, record.id)
        if self.task.on_completion_hooks:
            self._run_hooks(self.task.on_completion_hooks)
        if logger.isEnabledFor(logging.DEBUG):
            self._logger().debug("Finished in state Cached()")

    def _finish_with_state(self, state: State) -> None:
        """The task returned a State: it becomes the task run's final state."""
        if state.is_completed():
            self.value = state.data if state.has_data else None
        elif isinstance(state.data, BaseException):
            self.exception = state.data
        _took_part(self.record.id)
        transition(self.record, state.type, state.name, state.message)
        self.writer.put_task_run(self.record)
        hooks = self.task.on_completion_hooks if state.is_completed() else None
        if state.is_failed() or state.is_crashed():
            hooks = self.task.on_failure_hooks
        if hooks:
            self._run_hooks(hooks)

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
        attempt = record.run_count
        if not final and attempt <= task.retries and self._should_retry(exc, message):
            delay = task.retry_delay_for(attempt)
            transition(record, _FAILED, "Failed", message, now, keep_history=True)
            transition(record, _SCHEDULED, "AwaitingRetry", message, now, keep_history=True)
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
        _took_part(record.id)
        transition(record, _FAILED, "TimedOut" if timed_out else "Failed", message, now)
        self.writer.put_task_run(record)
        self._logger().error(
            "Finished in state Failed(%r)", message, exc_info=None if timed_out else exc
        )
        if task.on_failure_hooks:
            self._run_hooks(task.on_failure_hooks)
        return None

    def _should_retry(self, exc: BaseException, message: str) -> bool:
        condition = self.task.retry_condition_fn
        if condition is None:
            return True
        state: State = State(StateType.FAILED, "Failed", message, data=exc)
        try:
            return bool(condition(self.task, TaskRunView(self.record), state))
        except Exception as hook_exc:
            self._logger().error("retry_condition_fn raised %r; not retrying", hook_exc)
            return False

    def not_ready(self, reason: str) -> None:
        self.exception = UpstreamTaskError(reason)
        transition(self.record, _PENDING, "NotReady", reason)
        self.writer.put_task_run(self.record)
        self._logger().warning("Not run: %s", reason)

    def crashed(self, exc: BaseException) -> None:
        self.exception = exc
        transition(self.record, _CRASHED, "Crashed", f"interrupted by {exception_message(exc)}")
        self.writer.put_task_run(self.record)
        if isinstance(exc, TerminationSignal):
            exc.interrupted.append(self.record)

    # -- outcome ---------------------------------------------------------------------
    def state(self) -> State:
        record = self.record
        details = StateDetails(flow_run_id=record.flow_run_id, task_run_id=record.id)
        data = self.value
        if data is _NOTHING and self.exception is not None:
            data = self.exception
        ref = record.result
        if ref is not None:
            details.result_ref = ref
            details.cache_key = record.cache_key
            plan = self.plan
            if plan is not None and not plan.in_memory:
                data = _NOTHING  # read back from storage when asked for
        return State(
            record.state_type,
            record.state_name,
            record.state_message,
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
        view = TaskRunView(self.record)
        for hook in hooks:
            try:
                hook(self.task, view, state)
            except Exception as exc:
                self._logger().error(
                    "Hook %r raised %s", getattr(hook, "__name__", hook), exception_message(exc)
                )

    def _logger(self) -> logging.LoggerAdapter:
        from headwater.logging.loggers import context_task_logger

        ctx = self.context or self.enter()
        return context_task_logger(ctx, self.flow_ctx)


def _orphan_plan(task: Task[Any, Any]) -> TaskPlan | None:
    """A task called outside any flow run persists only if the settings say so."""
    from headwater.settings import get_settings

    if not get_settings().results_persist_by_default:
        return None
    from headwater.engine.task_results import plan_for

    return plan_for(task, None)


def _took_part(task_run_id: UUID) -> None:
    """A task run that ended inside a user's transaction is listed with it (inside a
    flow run's implicit one, counted)."""
    txn = get_transaction()
    if txn is not None:
        txn.note_task_run(task_run_id)
