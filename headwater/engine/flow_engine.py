"""One flow run's steps: create the run, set up its context, judge each attempt's
outcome, flush its records, propose its final state, end it (hooks, the subflow's
place in its parent), or record its crash.

``FlowRunEngine`` holds the steps; ``flow_lifecycle`` runs them in one sequence of
phases for both sync and async flows.  Whatever happens (an exception, Ctrl-C,
SIGTERM, ``sys.exit``, a store that stops accepting writes), records queued so far
are flushed and the run ends in a final state, never Completed unless every record
it produced was written.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import signal
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from headwater.context import FlowRunContext, _flow_run, current_tags
from headwater.core.ui_links import ui_url
from headwater.engine.backend import Backend, get_backend
from headwater.engine.crash_outcome import (
    cancel_interrupted_tasks,
    crash_state,
    crash_unfinished_tasks,
)
from headwater.engine.final_state import final_state_from_return
from headwater.exceptions import (
    FlowRunDeadline,
    FlowRunTimeoutError,
    Pause,
    RunNotRecorded,
    TerminationSignal,
)
from headwater.logging.configuration import setup_logging
from headwater.logging.loggers import context_flow_logger
from headwater.schemas.records import TaskRunRecord, new_task_run_record, transition
from headwater.settings import get_settings
from headwater.states import (
    Cancelled,
    Crashed,
    Failed,
    Retrying,
    Running,
    State,
    StateType,
    Suspended,
    exception_message,
)
from headwater.utilities.callables import bind_or_explain
from headwater.utilities.ids import new_id
from headwater.utilities.jsonable import bounded_parameters
from headwater.utilities.names import random_run_name
from headwater.utilities.timeout import Deadline
from headwater.utilities.tracebacks import reraise_trimmed, trim_engine_frames

if TYPE_CHECKING:
    from headwater.engine.task_results import ResumeMap
    from headwater.flows import Flow

logger = logging.getLogger("headwater.flow_runs")

#: How long a crash waits for the run's queued records before recording the crash.
CRASH_FLUSH_SECONDS = 10.0


class FlowRunEngine:
    """The steps of one flow run.  ``state`` is the run's state as the store has it:
    None until the run exists there (a run never created is never reported on)."""

    def __init__(self, flow: Flow[Any, Any], flow_run_id: uuid.UUID | None = None) -> None:
        self.flow = flow
        self.parent = FlowRunContext.get()
        settings = get_settings()
        setup_logging(settings)
        #: How long the final flush waits for a store that is unavailable (and busy).
        self.flush_timeout = settings.api_retry_seconds
        self.backend: Backend = self.parent.backend if self.parent else get_backend()
        # An existing run to run again in place (a retry, or a run created elsewhere).
        self.existing_id = flow_run_id
        self.flow_run_id = flow_run_id or new_id()
        self.resume: ResumeMap | None = None
        self.cached_state: State | None = None
        self.name = ""
        self.parameters: dict[str, Any] = {}
        self.state: State | None = None
        #: Set when the run is being created: an exception from here on may have
        #: arrived after the store created it (a deadline strikes at any bytecode).
        self._creating = False
        self.parent_task: TaskRunRecord | None = None
        self.run_count = 1
        self._token: Any = None
        self._previous_sigterm: Any = None
        self._take_place_in_parent()

    # -- start --------------------------------------------------------------------
    def start(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], *, return_state: bool = False
    ) -> State | None:
        """Bind the parameters (a bad one fails the run and raises, in one line; with
        ``return_state`` the Failed state is the answer instead); the final state
        already known when a resumed parent has this subflow's result, None when the
        run is to be run."""
        try:
            self.bind(args, kwargs)
        except Exception as exc:
            if return_state and self.state is not None:
                return self.state  # recorded Failed; its message names the parameter
            reraise_trimmed(exc)
        return self.cached_state

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
            failed = Failed(exc, message=f"invalid parameters: {exc}")
            if self.existing_id is not None:
                self.backend.client.set_flow_run_state(self.flow_run_id, failed, force=True)
            else:
                self._create(failed)
            failed.state_details.flow_run_id = self.flow_run_id
            self.state = failed  # keeps the exception for result() and return_state
            self._finish_parent_task(failed)
            raise
        self.parameters = parameters
        return parameters

    def call_args(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The bound parameters as the flow function's arguments."""
        return self.flow.binder.call_args(self.parameters)

    def _take_place_in_parent(self) -> None:
        """For a subflow: take its place in the parent (its task record), and when the
        parent is resuming, reuse the previous attempt's child (its result, or the
        child run itself to resume in place)."""
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
        self._creating = True
        created = self.backend.client.create_flow_run(
            {
                "id": self.flow_run_id,
                "flow_name": flow.name,
                "name": self.name,
                "flow_version": flow.version,
                "parameters": parameters,
                "tags": sorted(current_tags()),
                "parent_flow_run_id": parent.flow_run_id if parent else None,
                "parent_task_run_id": self.parent_task.id if self.parent_task else None,
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
        """Create the run (Running), then its context: task runner, results, signals."""
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
        ctx = FlowRunContext(
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
        from headwater.engine.run_view import FlowRunView

        ctx.flow_run = FlowRunView(self)
        if flow.log_prints:
            from headwater.logging.prints import install_print_capture

            install_print_capture()
        self._token = _flow_run.set(ctx)
        ctx.task_runner.start()
        self._install_sigterm()
        what = "subflow run" if self.parent else "flow run"
        logger = context_flow_logger(ctx)
        logger.info("Beginning %s %r for flow %r", what, self.name, flow.name)
        if self.backend.key.startswith("api:"):  # a server: its UI shows the run
            logger.info("View at %s", ui_url(self.backend.key[4:], f"flow-runs/{self.flow_run_id}"))
        self._run_hooks(ctx, flow.on_running_hooks)
        return ctx

    # -- one attempt ----------------------------------------------------------------
    def deadline(self) -> Deadline | None:
        """The attempt's deadline (``timeout_seconds`` from now), if the flow has one."""
        seconds = self.flow.timeout_seconds
        return None if seconds is None else Deadline(seconds, FlowRunDeadline)

    def outcome_of(
        self, ctx: FlowRunContext, value: Any = None, exc: Exception | None = None
    ) -> State:
        """The state an attempt that returned ``value`` (or raised ``exc``) ends in."""
        if exc is None:
            return final_state_from_return(value)
        exc = exc.with_traceback(trim_engine_frames(exc.__traceback__))
        context_flow_logger(ctx).error(
            "Encountered exception during execution: %s", exception_message(exc), exc_info=exc
        )
        return Failed(exc)

    def timed_out(self, ctx: FlowRunContext) -> State:
        """The attempt ran past ``timeout_seconds``: task runs it left unfinished are
        ended Crashed in the store (a thread cannot be stopped: one still running
        records its real end when it finishes)."""
        message = f"flow run exceeded its timeout of {self.flow.timeout_seconds:g} s"
        crash_unfinished_tasks(ctx, Crashed(message=f"the {message}"))
        return Failed(FlowRunTimeoutError(message), message, name="TimedOut")

    def wait_for_tasks(self, ctx: FlowRunContext, deadline: Deadline | None) -> None:
        """Wait for every unfinished task run, holding one future at a time (a list of
        them would keep every finished result alive until the last one ends); past
        ``deadline``, raise its error."""
        pending = ctx.pending_futures
        while pending:
            try:
                future = next(iter(pending))
            except (StopIteration, RuntimeError):  # emptied or changed meanwhile
                continue
            inner = future._future
            del future
            if deadline is None:
                cf.wait((inner,))
            elif not cf.wait((inner,), max(deadline.remaining(), 0.0)).done:
                raise deadline.passed()

    # -- the outcome ------------------------------------------------------------------
    def settle(self, ctx: FlowRunContext, state: State) -> State:
        """Persist the result if asked, make sure every record of the run is written,
        then ask the store to move the run to ``state``.  A run whose records could
        not all be written ends Crashed, saying how many and why."""
        results = ctx.results
        if results is not None and results.persist and state.is_completed():
            from headwater.engine.resume import persist_flow_result

            persist_flow_result(self, ctx, state, results)
        ctx.task_runner.drain(self.flush_timeout)  # records its workers still hold
        unwritten = self._unwritten_records(self.flush_timeout)
        if unwritten is not None:
            state = Crashed(message=unwritten)
        try:
            result = self.backend.client.set_flow_run_state(self.flow_run_id, state)
            final = state if result.accepted else result.state
            if final.type is StateType.CANCELLING:  # cancelled while running
                final = self.backend.client.set_flow_run_state(
                    self.flow_run_id, Cancelled(message="cancelled while running")
                ).state
        except Exception as exc:
            what = unwritten or f"it ended {state.name}"
            raise RunNotRecorded(
                f"flow run {self.name!r} ({self.flow_run_id}): {what}, but its final state "
                f"could not be recorded: {exc}"
            ) from exc
        self.state = final
        return final

    def _unwritten_records(self, timeout: float) -> str | None:
        """Flush the run's records: None when all were written, else what was not."""
        writer = self.backend.writer
        flushed = writer.flush(timeout)
        run_id = self.flow_run_id
        dropped = writer.dropped_for(run_id)
        if dropped:
            return (
                f"{dropped} run records (task runs, logs) could not be written: {writer.last_error}"
            )
        if not flushed:
            left = writer.pending_for(run_id)
            if left:
                reason = writer.last_error or "no answer"
                return f"{left} run records could not be written within {timeout:g} s: {reason}"
        return None

    def retry_delay(self, ctx: FlowRunContext, state: State) -> float:
        """The store answered AwaitingRetry: how long to wait before the next attempt."""
        when = state.state_details.scheduled_time
        delay = (when - dt.datetime.now(dt.timezone.utc)).total_seconds() if when else 0.0
        delay = max(delay, 0.0)
        context_flow_logger(ctx).warning(
            "Flow run failed; retrying in %.3g s (%s)", delay, state.message
        )
        return delay

    def start_retry(self, ctx: FlowRunContext) -> None:
        result = self.backend.client.set_flow_run_state(self.flow_run_id, Retrying())
        self.state = result.state
        self.run_count += 1
        ctx.run_count = self.run_count

    # -- end ------------------------------------------------------------------------
    def finish(self, ctx: FlowRunContext, state: State) -> None:
        """Log the final state, run the matching hooks, finish the subflow's task."""
        log = context_flow_logger(ctx)
        ok = state.is_completed() or state.is_cancelled()
        log.log(logging.INFO if ok else logging.ERROR, "Finished in state %s", _state_repr(state))
        flow = self.flow
        hooks = {
            StateType.COMPLETED: flow.on_completion_hooks,
            StateType.FAILED: flow.on_failure_hooks,
            StateType.CRASHED: flow.on_crashed_hooks,
            StateType.CANCELLED: flow.on_cancellation_hooks,
        }.get(state.type, [])
        self._run_hooks(ctx, hooks)
        self._finish_parent_task(state)

    def crash(self, ctx: FlowRunContext | None, exc: BaseException) -> State:
        """Ctrl-C, SIGTERM, sys.exit, an interpreter error or a store that stopped
        accepting writes: end the run for real (a run never created is left alone)."""
        if isinstance(exc, TerminationSignal) and self._previous_sigterm is not None:
            # A second SIGTERM (the worker's and the heartbeat's both come when a run
            # is cancelled) must not cut short the recording of the first.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if isinstance(exc, TerminationSignal):
            suspended = self._suspended_in_store()
            if suspended is not None:
                # Suspended from outside (an automation): the heartbeat stopped it.
                if ctx is not None:
                    message = "interrupted: the flow run was suspended"
                    crash_unfinished_tasks(ctx, Crashed(message=message))
                return self.suspended(ctx, Pause("suspended while running", state=suspended))
        state = crash_state(exc)
        if isinstance(exc, TerminationSignal) and self._being_cancelled():
            # The worker (or the heartbeat) stopped it because it was cancelled: that
            # is how a cancellation ends, not a crash.
            state = Cancelled(message="cancelled while running (the process was stopped)")
        if ctx is not None:
            crash_unfinished_tasks(ctx, state)
            if state.is_cancelled() and isinstance(exc, TerminationSignal):
                cancel_interrupted_tasks(ctx, exc.interrupted, state)
        store_answers = False
        if self.state is None and self._creating and not isinstance(exc, RunNotRecorded):
            self.state = self._stored_state()  # created just before ``exc`` arrived?
        if self.state is not None and not isinstance(exc, RunNotRecorded):
            state, store_answers = self._record_crash(state)
        self.state = state
        if ctx is not None:
            self.finish(ctx, state)
            if store_answers:
                # Its last log line and hook records are written now, while a second
                # SIGTERM is still ignored: once ``close`` restores the default
                # handler, that signal (the worker's and the heartbeat's both come)
                # ends the process before the exit-time flush.
                self.backend.writer.flush(CRASH_FLUSH_SECONDS)
        return state

    def suspended(self, ctx: FlowRunContext | None, signal: BaseException) -> State:
        """``suspend_flow_run`` ended this process: the run's records are written
        (its state, Suspended, is already in the store) and nothing else changes."""
        state = getattr(signal, "state", None) or self.state or Suspended()
        if ctx is not None:
            ctx.task_runner.drain(self.flush_timeout)
            unwritten = self._unwritten_records(self.flush_timeout)
            if unwritten is not None:
                logger.error("flow run %s suspended, but %s", self.name, unwritten)
            context_flow_logger(ctx).info("Suspended: the process ends; resume the run to go on")
        self.state = state
        return state

    def _record_crash(self, state: State) -> tuple[State, bool]:
        """Record ``state``; also whether the store took every record of the run."""
        try:
            unwritten = self._unwritten_records(CRASH_FLUSH_SECONDS)
            if unwritten is not None:
                state = Crashed(message=f"{state.message}; {unwritten}")
            result = self.backend.client.set_flow_run_state(self.flow_run_id, state)
            if result.state.type is StateType.CANCELLING:
                state = Cancelled(message="cancelled while running (the process was stopped)")
                result = self.backend.client.set_flow_run_state(self.flow_run_id, state)
            return (result.state if not result.accepted else state), unwritten is None
        except Exception as store_exc:  # the store itself is gone: say so, keep going
            logger.error("could not record the crash of flow run %s: %s", self.name, store_exc)
            return state, False

    def _suspended_in_store(self) -> State | None:
        """The store's Suspended state of this run, if it is in one (asked only when a
        SIGTERM ended it; an unreachable store means no)."""
        if self.state is None:
            return None
        try:
            state = self.backend.client.read_flow_run(self.flow_run_id).state
        except Exception:
            return None
        if state is not None and state.type is StateType.PAUSED and state.name == "Suspended":
            return state
        return None

    def _stored_state(self) -> State | None:
        """The run's state in the store; None when it was never created (or the store
        does not answer)."""
        try:
            return self.backend.client.read_flow_run(self.flow_run_id).state
        except Exception:
            return None

    def _being_cancelled(self) -> bool:
        """Whether the store says this run is Cancelling or Cancelled (asked only when
        a SIGTERM ended it; an unreachable store means no)."""
        if self.state is None:
            return False
        try:
            kind = self.backend.client.read_flow_run(self.flow_run_id).state.type
        except Exception:
            return False
        return kind in (StateType.CANCELLING, StateType.CANCELLED)

    def close(self, ctx: FlowRunContext | None) -> None:
        """Release the run's context: its task runner (not waiting for task runs left
        behind by a crash or a timeout), the context variable, the signal handler."""
        if ctx is not None:
            ctx.flow_run = None  # the view refers to this engine: no cycle left behind
            state = self.state
            left_behind = state is not None and (
                state.is_crashed() or state.is_cancelled() or state.name == "TimedOut"
            )
            ctx.task_runner.shutdown(wait=not left_behind)
        if self._token is not None:
            _flow_run.reset(self._token)
            self._token = None
        self._restore_sigterm()

    # -- helpers --------------------------------------------------------------------
    def _run_hooks(self, ctx: FlowRunContext, hooks: list[Any]) -> None:
        if not hooks:
            return
        view = ctx.flow_run
        if view is None:
            from headwater.engine.run_view import FlowRunView

            view = FlowRunView(self)
        for hook in hooks:
            try:
                hook(self.flow, view, self.state)
            except Exception as exc:
                context_flow_logger(ctx).error(
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
        record.result = state.state_details.result_ref
        transition(record, state.type, state.name, state.message)
        self.parent.backend.writer.put_task_run(record)  # its last transition
        if state.is_completed() and state.has_data:
            self.parent.remember_result(state.data, record.id)


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
) -> TaskRunRecord:
    """A task run in the parent flow run standing for the subflow call (Running until
    ``_finish_parent_task``)."""
    now = time.time()
    record = new_task_run_record(
        new_id(),
        parent.flow_run_id,
        task_key,
        dynamic_key,
        f"{flow.name}-{dynamic_key}",
        sorted(current_tags()),
        parent.run_count,
        now,
    )
    record.inputs = {"__subflow_run__": [str(child_id)]}
    transition(record, StateType.RUNNING, "Running", None, now)
    parent.backend.writer.put_task_run(record.copy())  # it moves on: hand over a snapshot
    return record
