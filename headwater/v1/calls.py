"""One v1 task run as a Headwater task run: the ``Call`` handed to the Headwater
task, and the function that runs it there (signals, loops, state handlers)."""

from __future__ import annotations

from typing import Any

from headwater.exceptions import TaskRunTimeoutError
from headwater.v1.engine import signals
from headwater.v1.engine import state as v1
from headwater.v1.run_context import context

SUCCEEDED = "Task run succeeded."


class Call:
    """What one (child) run of a v1 task needs: its inputs, or a state decided before
    running (skipped, trigger failed).  ``state`` is set by the run."""

    __slots__ = ("index", "inputs", "preset", "state", "task")

    def __init__(self, task: Any, inputs: dict[str, Any], preset: Any, index: int | None) -> None:
        self.task = task
        self.inputs = inputs
        self.preset = preset
        self.index = index
        self.state: Any = None

    def __repr__(self) -> str:  # shown in task-run parameters
        suffix = "" if self.index is None else f"[{self.index}]"
        return f"<v1 call {self.task.name}{suffix}>"


def headwater_task(task: Any) -> Any:
    """The Headwater ``Task`` that runs ``task``'s calls: one per task and options,
    shared by the task's copies (each call of a v1 task in a flow is a copy)."""
    tags = tuple(sorted(task.tags))
    key = (task.name, task.max_retries, task.retry_delay, task.timeout, tags, task.log_stdout)
    hw = task._hw_tasks.get(key)
    if hw is not None:
        return hw
    from headwater.tasks import Task as HwTask

    def body(call: Call) -> Any:
        return run_call(call)

    body.__name__ = task.name
    body.__qualname__ = f"v1.{type(task).__name__}.{task.name}"
    options: dict[str, Any] = {"name": task.name}
    if task.max_retries:
        options["retries"] = task.max_retries
        options["retry_delay_seconds"] = task.retry_delay.total_seconds()
    if task.timeout:
        options["timeout_seconds"] = task.timeout
    if tags:
        options["tags"] = list(tags)
    if task.log_stdout:
        options["log_prints"] = True
    hw = task._hw_tasks[key] = HwTask(body, **options)
    return hw


def run_call(call: Call) -> Any:
    """Inside the Headwater task run: the v1 task's ``run()``, its signals and state
    handlers; returns a Headwater state (or raises, so Headwater retries)."""
    call.state = None
    if call.preset is not None:
        call.state = call.preset
        return to_headwater_state(call.preset)
    from headwater.context import TaskRunContext

    task = call.task
    task_ctx = TaskRunContext.get()
    run_count = task_ctx.run_count if task_ctx is not None else 1
    full_name = task.name if call.index is None else f"{task.name}[{call.index}]"
    values = {
        "task_name": task.name,
        "task_full_name": full_name,
        "task_slug": task.slug or task.name,
        "task_tags": set(task.tags),
        "map_index": call.index,
        "task_run_count": run_count,
        "task_run_id": str(task_ctx.task_run_id) if task_ctx is not None else None,
    }
    with context(values):
        if task.state_handlers:
            handle(task, v1.Pending(), v1.Running("Starting task run."))
        try:
            state = _run_loops(task, call.inputs)
        except Exception as exc:
            final = run_count > task.max_retries
            failed = exc.state if isinstance(exc, signals.FAIL) else None
            if isinstance(exc, TaskRunTimeoutError):
                failed = v1.TimedOut(f"Task timed out: {exc}", result=exc)
            elif failed is None:
                failed = v1.Failed(f"Error during execution of task: {exc!r}", result=exc)
            if not final:
                if task.state_handlers:
                    handle(task, v1.Running(), v1.Retrying(f"Retrying: {failed.message}"))
                call.state = failed
                raise
            if task.state_handlers:
                failed = handle(task, v1.Running(), failed)
            call.state = failed
            if failed.is_failed():
                raise
            return to_headwater_state(failed)
        if task.state_handlers:
            state = handle(task, v1.Running(), state)
        call.state = state
        return to_headwater_state(state)


def _run_loops(task: Any, inputs: dict[str, Any]) -> Any:
    loop_count = 1
    loop_result: Any = None
    while True:
        try:
            if loop_count == 1:
                result = task.run(**inputs)
            else:
                with context(task_loop_count=loop_count, task_loop_result=loop_result):
                    result = task.run(**inputs)
            return v1.Success(SUCCEEDED, result=result)
        except signals.LOOP as sig:
            loop_count += 1
            loop_result = sig.state.result
        except signals.ENDRUN as end:
            return end.state
        except (signals.SUCCESS, signals.PAUSE) as sig:  # SKIP is a SUCCESS
            return sig.state


def handle(obj: Any, old: Any, new: Any) -> Any:
    """Call ``obj``'s state handlers in order; each may return a replacement state."""
    for handler in obj.state_handlers:
        replaced = handler(obj, old, new)
        if replaced is not None:
            new = replaced
    return new


def to_headwater_state(state: Any) -> Any:
    """The Headwater task-run state a v1 state is recorded as."""
    from headwater.states import Completed, Failed

    name = type(state).__name__
    if state.is_successful():
        return Completed(
            state.result, state.message, name="Completed" if name == "Success" else name
        )
    if state.is_paused():
        return Failed(
            None,
            f"{state.message or 'paused'} (Headwater cannot resume a paused v1 task)",
            name="Paused",
        )
    return Failed(state.result, state.message, name=name)


def from_headwater_state(hw_state: Any, call: Call) -> Any:
    """The v1 state of a finished call (the run's own when it set one)."""
    own = call.state
    if hw_state.is_failed() or hw_state.is_crashed():
        if own is not None and own.is_failed():
            return own
        exc = hw_state.result(raise_on_failure=False)
        if hw_state.name == "TriggerFailed":
            return v1.TriggerFailed(hw_state.message, result=exc)
        if isinstance(exc, TaskRunTimeoutError):
            return v1.TimedOut(f"Task timed out: {exc}", result=exc)
        return v1.Failed(hw_state.message or "Task run failed.", result=exc)
    if own is not None:
        return own
    # run in another process (a Dask worker): the recorded state says what happened
    cls = {"Skipped": v1.Skipped, "Cached": v1.Cached}.get(hw_state.name, v1.Success)
    return cls(hw_state.message or SUCCEEDED, result=hw_state.result(raise_on_failure=False))
