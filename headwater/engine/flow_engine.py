"""Running a flow: create the run, run the body (with retries and a timeout), wait
for its tasks, flush their records, and propose the final state to the store.

``FlowRunEngine`` holds the steps; ``run_flow_sync`` and ``run_flow_async`` are the
two thin drivers.  Whatever happens (an exception, Ctrl-C, SIGTERM, ``sys.exit``),
records queued so far are flushed and the run ends in a final state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from headwater.context import FlowRunContext, _flow_run, current_tags
from headwater.engine.backend import Backend, get_backend
from headwater.engine.final_state import final_state_from_return
from headwater.exceptions import FlowRunTimeoutError, TerminationSignal
from headwater.logging.configuration import setup_logging
from headwater.logging.loggers import flow_run_logger
from headwater.settings import get_settings
from headwater.states import (
    Cancelled,
    Crashed,
    Failed,
    Retrying,
    Running,
    State,
    StateType,
    exception_message,
)
from headwater.utilities.callables import bind_or_explain
from headwater.utilities.ids import new_id
from headwater.utilities.jsonable import bounded_parameters
from headwater.utilities.names import random_run_name
from headwater.utilities.timeout import timeout_after
from headwater.utilities.tracebacks import trim_engine_frames

if TYPE_CHECKING:
    from headwater.engine.task_results import ResumeMap
    from headwater.flows import Flow
    from headwater.schemas.records import TaskRunRecord

logger = logging.getLogger("headwater.flow_runs")


class FlowRunEngine:
    def __init__(self, flow: Flow[Any, Any], flow_run_id: uuid.UUID | None = None) -> None:
        self.flow = flow
        self.parent = FlowRunContext.get()
        settings = get_settings()
        setup_logging(settings)
        self.backend: Backend = self.parent.backend if self.parent else get_backend()
        # An existing run to run again in place (a retry, or a run created elsewhere).
        self.existing_id = flow_run_id
        self.flow_run_id = flow_run_id or new_id()
        self.resume: ResumeMap | None = None
        self.cached_state: State | None = None
        self._prepared = False
        self.name = ""
        self.parameters: dict[str, Any] = {}
        self.state: State | None = None
        self.ctx: FlowRunContext | None = None
        self.parent_task: TaskRunRecord | None = None
        self.run_count = 1
        self._token: Any = None
        self._previous_sigterm: Any = None

    # -- start --------------------------------------------------------------------
    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Bind and validate the parameters; a bad one fails the run in one line."""
        flow = self.flow
        what = f"flow {flow.name!r}"
        try:
            parameters = bind_or_explain(flow.binder, args, kwargs, what)
            if flow.validator is not None:
                parameters = flow.validator.validate(parameters, what)
        except Exception as exc:
            self.parameters = dict(kwargs)
            failed = Failed(message=f"invalid parameters: {exc}")
            if self.existing_id is not None:
                self.backend.client.set_flow_run_state(self.flow_run_id, failed, force=True)
                self.state = failed
            else:
                self._create(failed)
            self._finish_parent_task(failed)
            raise
        self.parameters = parameters
        return parameters

    def prepare(self) -> None:
        """For a subflow: take its place in the parent (its task record), and when the
        parent is resuming, reuse the previous attempt's child (its result, or the
        child run itself to resume in place)."""
        if self._prepared:
            return
        self._prepared = True
        parent = self.parent
        if parent is None:
            return
        from headwater.engine.resume import subflow_entry

        task_key = f"subflow-{self.flow.name}"
        dynamic_key = parent.next_dynamic_key(task_key)
        entry = subflow_entry(parent, task_key, dynamic_key)
        if entry is not None:
            cached = entry.get("cached")
            if cached is not None:
                self.cached_state = cached
            elif entry.get("resume_id") is not None:
                self.existing_id = self.flow_run_id = entry["resume_id"]
        self.parent_task = _subflow_task_record(
            parent, self.flow, self.flow_run_id, task_key, dynamic_key
        )
        if self.cached_state is not None:
            self._finish_parent_task(self.cached_state)

    def _create(self, state: State) -> None:
        flow = self.flow
        self.prepare()
        if self.existing_id is not None:
            if state.is_running():
                self._start_existing()
            else:
                self.backend.client.set_flow_run_state(self.flow_run_id, state, force=True)
                self.state = state
            return
        self.name = flow.format_run_name(self.parameters) or random_run_name()
        parent = self.parent
        unstored: list[str] = []
        parameters = bounded_parameters(self.parameters, unstored)
        policy: dict[str, Any] = {
            "retries": flow.retries,
            "retry_delay_seconds": flow.retry_delay_seconds,
        }
        if unstored:
            policy["unstored_parameters"] = unstored
        created = self.backend.client.create_flow_run(
            {
                "id": self.flow_run_id,
                "flow_name": flow.name,
                "name": self.name,
                "flow_version": flow.version,
                "parameters": parameters,
                "tags": sorted(current_tags()),
                "parent_flow_run_id": parent.flow_run_id if parent else None,
                "parent_task_run_id": self.parent_task["id"] if self.parent_task else None,
                "empirical_policy": policy,
                "entrypoint": flow.entrypoint,
            },
            state,
        )
        self.state = created["state"]
        self.run_count = created.get("run_count", 1)

    def _start_existing(self) -> None:
        """Move an existing run (Scheduled, AwaitingRetry; or, for a child of a resumed
        parent, Failed/Crashed) to Running; note what its earlier attempts left."""
        from headwater.engine.resume import start_existing

        self.state, self.name, self.run_count, self.resume = start_existing(
            self.backend.client, self.flow_run_id, child=self.parent is not None
        )

    def begin(self) -> FlowRunContext:
        self._create(Running())
        flow = self.flow
        from_parent = self.parent.results if self.parent is not None else None
        results = None
        if flow.result_options is not None or from_parent is not None or self.resume is not None:
            from headwater.engine.task_results import flow_results_for

            results = flow_results_for(flow, from_parent, self.resume)
        elif _results_by_default():
            from headwater.engine.task_results import flow_results_for

            results = flow_results_for(flow, None, None)
        ctx = self.ctx = FlowRunContext(
            flow=flow,
            flow_run_id=self.flow_run_id,
            flow_run_name=self.name,
            parameters=self.parameters,
            run_count=self.run_count,
            task_runner=flow.task_runner.duplicate(),
            backend=self.backend,
            log_prints=flow.log_prints,
            parent=self.parent,
            results=results,
        )
        if flow.log_prints:
            from headwater.logging.prints import install_print_capture

            install_print_capture()
        self._token = _flow_run.set(ctx)
        ctx.task_runner.start()
        self._install_sigterm()
        what = "subflow run" if self.parent else "flow run"
        flow_run_logger(ctx).info("Beginning %s %r for flow %r", what, self.name, flow.name)
        self._run_hooks(flow.on_running)
        return ctx

    # -- during ---------------------------------------------------------------------
    def wait_for_tasks(self) -> None:
        """Wait for every unfinished task run, holding one future at a time: a list
        of them would keep every finished result alive until the last one ends."""
        assert self.ctx is not None
        pending = self.ctx.pending_futures
        while pending:
            try:
                future = next(iter(pending))
            except (StopIteration, RuntimeError):  # emptied or changed meanwhile
                continue
            future.wait()
            del future

    def propose(self, state: State) -> State:
        """Persist the result if asked, flush task records, then ask the store to move
        the run to ``state``."""
        results = self.ctx.results if self.ctx is not None else None
        if results is not None and results.persist and state.is_completed():
            from headwater.engine.resume import persist_flow_result

            persist_flow_result(self, state, results)
        self.backend.writer.flush()
        result = self.backend.client.set_flow_run_state(self.flow_run_id, state)
        final = state if result.accepted else result.state
        if final.type is StateType.CANCELLING:  # cancelled while running
            final = self.backend.client.set_flow_run_state(
                self.flow_run_id, Cancelled(message="cancelled while running")
            ).state
        self.state = final
        return final

    def outcome_of(self, value: Any = None, exc: BaseException | None = None) -> State:
        if exc is None:
            return final_state_from_return(value)
        if isinstance(exc, FlowRunTimeoutError):
            message = f"flow run exceeded its timeout of {self.flow.timeout_seconds} s"
            return Failed(FlowRunTimeoutError(message), message, name="TimedOut")
        assert self.ctx is not None
        exc = exc.with_traceback(trim_engine_frames(exc.__traceback__))
        flow_run_logger(self.ctx).error(
            "Encountered exception during execution: %s", exception_message(exc), exc_info=exc
        )
        return Failed(exc)

    def retry_after(self, state: State) -> None:
        """The store answered AwaitingRetry: wait, then start the next attempt."""
        when = state.state_details.scheduled_time
        delay = (when - dt.datetime.now(dt.timezone.utc)).total_seconds() if when else 0.0
        assert self.ctx is not None
        flow_run_logger(self.ctx).warning(
            "Flow run failed; retrying in %.3g s (%s)", max(delay, 0.0), state.message
        )
        if delay > 0:
            time.sleep(delay)
        self.start_retry()

    def start_retry(self) -> None:
        assert self.ctx is not None
        result = self.backend.client.set_flow_run_state(self.flow_run_id, Retrying())
        self.state = result.state
        self.run_count += 1
        self.ctx.run_count = self.run_count

    # -- end ------------------------------------------------------------------------
    def finish(self) -> None:
        """Log the final state, run the matching hooks, finish the subflow's task."""
        state = self.state
        assert state is not None and self.ctx is not None
        log = flow_run_logger(self.ctx)
        level = logging.INFO if state.is_completed() else logging.ERROR
        log.log(level, "Finished in state %s", _state_repr(state))
        flow = self.flow
        hooks = {
            StateType.COMPLETED: flow.on_completion,
            StateType.FAILED: flow.on_failure,
            StateType.CRASHED: flow.on_crashed,
            StateType.CANCELLED: flow.on_cancellation,
        }.get(state.type, [])
        self._run_hooks(hooks)
        self._finish_parent_task(state)

    def crash(self, exc: BaseException) -> None:
        """Ctrl-C, SIGTERM, sys.exit or an interpreter error: end the run for real."""
        if isinstance(exc, KeyboardInterrupt):
            state = Cancelled(message="interrupted by the user (KeyboardInterrupt)")
        elif isinstance(exc, TerminationSignal):
            state = Crashed(message=f"the process received signal {exc.signum}")
        elif isinstance(exc, SystemExit):
            state = Crashed(message=f"the process exited (code {exc.code!r}) during the run")
        else:
            state = Crashed(message=f"the run crashed: {exception_message(exc)}")
        if self.ctx is not None:
            _crash_unfinished_tasks(self.ctx, state.message or "")
        try:
            self.backend.writer.flush(timeout=10)
            result = self.backend.client.set_flow_run_state(self.flow_run_id, state)
            if result.state.type is StateType.CANCELLING:
                result = self.backend.client.set_flow_run_state(
                    self.flow_run_id, Cancelled(message="cancelled")
                )
            self.state = result.state if not result.accepted else state
        except Exception as store_exc:  # the store itself is gone: say so, keep going
            logger.error("could not record the crash of flow run %s: %s", self.name, store_exc)
            self.state = state
        if self.ctx is not None:
            self.finish()

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.task_runner.shutdown(wait=not (self.state and self.state.is_crashed()))
        if self._token is not None:
            _flow_run.reset(self._token)
            self._token = None
        self._restore_sigterm()

    def result(self, return_state: bool) -> Any:
        state = self.state
        assert state is not None
        if return_state:
            return state
        return state.result()

    # -- helpers --------------------------------------------------------------------
    def _run_hooks(self, hooks: list[Any]) -> None:
        if not hooks:
            return
        from headwater.engine.run_view import FlowRunView

        view = FlowRunView(self)
        for hook in hooks:
            try:
                hook(self.flow, view, self.state)
            except Exception as exc:
                assert self.ctx is not None
                flow_run_logger(self.ctx).error(
                    "Hook %r raised %s",
                    getattr(hook, "__name__", hook),
                    exception_message(exc),
                )

    def _install_sigterm(self) -> None:
        if self.parent is not None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the user's own handler stays in charge

        def on_sigterm(signum: int, frame: object) -> None:
            raise TerminationSignal(signum)

        self._previous_sigterm = signal.signal(signal.SIGTERM, on_sigterm)

    def _restore_sigterm(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def _finish_parent_task(self, state: State) -> None:
        record = self.parent_task
        if record is None or self.parent is None:
            return
        now = time.time()
        record["state_type"] = state.type.value
        record["state_name"] = state.name
        record["state_message"] = state.message
        record["state_timestamp"] = now
        record["end_time"] = now
        record["updated"] = now
        record["result"] = state.state_details.result_ref
        self.parent.backend.writer.put_task_run(record)
        if state.is_completed() and state.has_data:
            self.parent.remember_result(state.data, record["id"])


def _state_repr(state: State) -> str:
    return f"{state.name}({state.message!r})" if state.message else f"{state.name}()"


def _results_by_default() -> bool:
    settings = get_settings()
    return settings.results_persist_by_default or settings.results_refresh_cache


def _subflow_task_record(
    parent: FlowRunContext,
    flow: Flow[Any, Any],
    child_id: uuid.UUID,
    task_key: str,
    dynamic_key: str,
) -> Any:
    """A task run in the parent flow run standing for the subflow call."""
    now = time.time()
    record = {
        "id": new_id(),
        "flow_run_id": parent.flow_run_id,
        "task_key": task_key,
        "dynamic_key": dynamic_key,
        "name": f"{flow.name}-{dynamic_key}",
        "state_type": "RUNNING",
        "state_name": "Running",
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": sorted(current_tags()),
        "inputs": {"__subflow_run__": [str(child_id)]},
        "run_count": 1,
        "flow_run_attempt": parent.run_count,
        "cache_key": None,
        "result": None,
        "start_time": now,
        "end_time": None,
        "created": now,
        "updated": now,
    }
    parent.backend.writer.put_task_run(dict(record))  # type: ignore[arg-type]
    return record


def _crash_unfinished_tasks(ctx: FlowRunContext, message: str) -> None:
    """Task runs still going when the flow run crashed end Crashed in the store too."""
    now = time.time()
    for future in list(ctx.pending_futures):
        record = future._record
        if record["state_type"] in ("PENDING", "RUNNING", "SCHEDULED"):
            record["state_type"] = "CRASHED"
            record["state_name"] = "Crashed"
            record["state_message"] = message
            record["state_timestamp"] = now
            record["end_time"] = now
            record["updated"] = now
            ctx.backend.writer.put_task_run(dict(record))  # type: ignore[arg-type]


# -- drivers -------------------------------------------------------------------------


def run_flow_sync(
    flow: Flow[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    return_state: bool,
    flow_run_id: uuid.UUID | None = None,
) -> Any:
    """Run ``flow``; with ``flow_run_id``, run that existing flow run again in place."""
    from headwater.utilities.tracebacks import reraise_trimmed

    engine = FlowRunEngine(flow, flow_run_id)
    try:
        parameters = engine.bind(args, kwargs)
    except Exception as exc:
        reraise_trimmed(exc)
    engine.prepare()
    if engine.cached_state is not None:
        return engine.cached_state if return_state else engine.cached_state.result()
    call_args, call_kwargs = flow.binder.call_args(parameters)
    try:
        engine.begin()
        while True:
            try:
                with timeout_after(flow.timeout_seconds, FlowRunTimeoutError):
                    value = flow.fn(*call_args, **call_kwargs)
                    engine.wait_for_tasks()
                state = engine.propose(engine.outcome_of(value))
            except Exception as exc:
                if not isinstance(exc, FlowRunTimeoutError):
                    engine.wait_for_tasks()
                state = engine.propose(engine.outcome_of(exc=exc))
            if state.is_scheduled():
                engine.retry_after(state)
                continue
            break
        engine.finish()
    except BaseException as exc:
        engine.crash(exc)
        engine.close()
        raise
    engine.close()
    return engine.result(return_state)


async def run_flow_async(
    flow: Flow[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    return_state: bool,
    flow_run_id: uuid.UUID | None = None,
) -> Any:
    from headwater.utilities.tracebacks import reraise_trimmed

    engine = FlowRunEngine(flow, flow_run_id)
    try:
        parameters = engine.bind(args, kwargs)
    except Exception as exc:
        reraise_trimmed(exc)
    engine.prepare()
    if engine.cached_state is not None:
        return engine.cached_state if return_state else engine.cached_state.result()
    call_args, call_kwargs = flow.binder.call_args(parameters)
    try:
        engine.begin()
        while True:
            try:
                coro = flow.fn(*call_args, **call_kwargs)
                if flow.timeout_seconds is None:
                    value = await coro
                else:
                    try:
                        value = await asyncio.wait_for(coro, flow.timeout_seconds)
                    except asyncio.TimeoutError:
                        raise FlowRunTimeoutError("timed out") from None
                await asyncio.to_thread(engine.wait_for_tasks)
                state = engine.propose(engine.outcome_of(value))
            except Exception as exc:
                if not isinstance(exc, FlowRunTimeoutError):
                    await asyncio.to_thread(engine.wait_for_tasks)
                state = engine.propose(engine.outcome_of(exc=exc))
            if state.is_scheduled():
                when = state.state_details.scheduled_time
                delay = (when - dt.datetime.now(dt.timezone.utc)).total_seconds() if when else 0
                if delay > 0:
                    await asyncio.sleep(delay)
                engine.start_retry()
                continue
            break
        engine.finish()
    except BaseException as exc:
        engine.crash(exc)
        engine.close()
        raise
    engine.close()
    try:
        return engine.result(return_state)
    except Exception as exc:
        reraise_trimmed(exc)
