"""What a flow run's crash records: the state an interruption ends the run in, and the
end of the task runs it leaves unfinished."""

from __future__ import annotations

import time
from typing import Any

from headwater.context import FlowRunContext
from headwater.exceptions import FlowRunDeadline, RunNotRecorded, TerminationSignal
from headwater.schemas.records import transition
from headwater.states import Cancelled, Crashed, State, StateType, exception_message


def crash_state(exc: BaseException) -> State:
    if isinstance(exc, KeyboardInterrupt):
        return Cancelled(message="interrupted by the user (KeyboardInterrupt)")
    if isinstance(exc, TerminationSignal):
        return Crashed(message=f"the process received signal {exc.signum}")
    if isinstance(exc, SystemExit):
        return Crashed(message=f"the process exited (code {exc.code!r}) during the run")
    if isinstance(exc, FlowRunDeadline):
        return Crashed(message="stopped by the timeout of an enclosing flow run")
    if isinstance(exc, RunNotRecorded):
        return Crashed(message=str(exc))
    return Crashed(message=f"the run crashed: {exception_message(exc)}")


#: Task-run states a flow run's crash ends (as Crashed).
UNFINISHED = frozenset(
    {StateType.PENDING.value, StateType.RUNNING.value, StateType.SCHEDULED.value}
)


def cancel_interrupted_tasks(ctx: FlowRunContext, records: list[Any], state: State) -> None:
    """Task runs the cancellation's SIGTERM interrupted (recorded Crashed as it went
    through them) end Cancelled like their flow run."""
    now = time.time()
    for record in records:
        if record.flow_run_id == ctx.flow_run_id and record.state_type == "CRASHED":
            cancelled = record.copy()
            transition(cancelled, state.type, state.name, state.message, now)
            ctx.backend.writer.put_task_run(cancelled)


def crash_unfinished_tasks(ctx: FlowRunContext, state: State) -> None:
    """Task runs still going when the flow run crashed end Crashed in the store too
    (Cancelled when the run was cancelled).

    Their records belong to their task runs (maybe still running in a thread), so
    each is changed and handed over as a copy."""
    now = time.time()
    for future in list(ctx.pending_futures):
        record = future._record
        if record.state_type in UNFINISHED:
            crashed = record.copy()
            transition(crashed, state.type, state.name, state.message, now)
            ctx.backend.writer.put_task_run(crashed)
