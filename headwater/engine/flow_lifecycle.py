"""A flow run's one sequence of phases, and its two drivers (sync and async).

``phases`` is the lifecycle, written once: begin, then attempts (call the flow's
function, wait for its task runs, judge the outcome, settle it with the store; on
AwaitingRetry, log, sleep and go again), then finish; on anything that escapes
(Ctrl-C, SIGTERM, a store that stopped accepting writes), record the crash; always
close.  It is a generator that yields the only steps sync and async flows perform
differently (``Call``, ``Wait``, ``Sleep``); ``run_flow_sync`` and ``run_flow_async``
perform them and send back the results (or throw in the exceptions).

Deadlines: each attempt gets one (``timeout_seconds``).  It covers calling the
function and waiting for its task runs; in the flow's code it arrives as
``FlowRunDeadline``, a ``BaseException`` the flow's own ``except Exception`` or
``except OSError`` do not swallow, and waits on futures give up at it by themselves
(see ``headwater.futures``).  The attempt then ends ``TimedOut`` (Failed).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from headwater.engine.flow_engine import FlowRunEngine
from headwater.engine.gc_freeze import heap_frozen_while_running
from headwater.exceptions import FlowRunDeadline, Pause, TerminationSignal
from headwater.states import State, StateType
from headwater.transactions.implicit import close_implicit, open_implicit
from headwater.utilities.timeout import Deadline, current_deadline, timeout_after

if TYPE_CHECKING:
    import uuid

    from headwater.context import FlowRunContext
    from headwater.flows import Flow


@dataclass(frozen=True)
class Call:
    """Call the flow's function with these arguments; send back what it returned."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    deadline: Deadline | None


@dataclass(frozen=True)
class Wait:
    """Wait for the run's unfinished task runs."""

    ctx: FlowRunContext
    deadline: Deadline | None


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Call | Wait | Sleep


def _is_suspended(state: State) -> bool:
    return state.type is StateType.PAUSED and state.name == "Suspended"


def phases(engine: FlowRunEngine) -> Generator[Step, Any, State]:
    """The lifecycle of one flow run; returns its final state."""
    with heap_frozen_while_running():
        return (yield from _phases(engine))


def _phases(engine: FlowRunEngine) -> Generator[Step, Any, State]:
    ctx: FlowRunContext | None = None
    try:
        ctx = engine.begin()
        while True:
            state = yield from _attempt(engine, ctx)
            state = engine.settle(ctx, state)
            if not state.is_scheduled():
                break
            yield Sleep(engine.retry_delay(ctx, state))
            engine.start_retry(ctx)
        engine.finish(ctx, state)
    except Pause as signal:  # suspend_flow_run: the store already says Suspended
        state = engine.suspended(ctx, signal)
    except BaseException as exc:
        state = engine.crash(ctx, exc)
        engine.close(ctx)
        if isinstance(exc, TerminationSignal) and _is_suspended(state):
            return state  # suspended from outside: it ends as suspend_flow_run ends it
        raise
    engine.close(ctx)
    return state


def _attempt(engine: FlowRunEngine, ctx: FlowRunContext) -> Generator[Step, Any, State]:
    """One attempt inside its implicit transaction (see ``headwater.transactions``):
    committed when the attempt completes, rolled back otherwise."""
    from headwater.logging.loggers import context_flow_logger

    txn, token = open_implicit(context_flow_logger(ctx))
    state: State | None = None
    try:
        state = yield from _attempt_body(engine, ctx)
    finally:
        close_implicit(txn, token, state is not None and state.is_completed())
    return state


def _attempt_body(engine: FlowRunEngine, ctx: FlowRunContext) -> Generator[Step, Any, State]:
    """Call the function and wait for its task runs, both within the attempt's
    deadline; the state the attempt ends in."""
    deadline = engine.deadline()
    args, kwargs = engine.call_args()
    error: Exception | None = None
    value: Any = None
    try:
        try:
            value = yield Call(args, kwargs, deadline)
        except Exception as exc:
            error = exc
        yield Wait(ctx, _nearest(deadline))
    except FlowRunDeadline as exc:
        if deadline is None or getattr(exc, "deadline", None) is not deadline:
            raise  # an enclosing flow run's deadline: this run is stopped, not timed out
        return engine.timed_out(ctx)
    return engine.outcome_of(ctx, value, error)


def _nearest(deadline: Deadline | None) -> Deadline | None:
    """The attempt's deadline, or an enclosing flow run's if that comes first."""
    outer = current_deadline.get()
    return outer if deadline is None else deadline.nearest(outer)


def _advance(
    steps: Generator[Step, Any, State], reply: Any = None, error: BaseException | None = None
) -> Step | State:
    """Hand the phases the last step's result (or throw in its error): the next step,
    or the final state once they are over."""
    try:
        return steps.send(reply) if error is None else steps.throw(error)
    except StopIteration as stop:
        return stop.value


def _name_the_run(engine: FlowRunEngine, state: State) -> None:
    """Prefect's states name their flow run (``state.state_details.flow_run_id``)."""
    if state.state_details.flow_run_id is None:
        state.state_details.flow_run_id = engine.flow_run_id


# -- the sync driver -----------------------------------------------------------------


def run_flow_sync(
    flow: Flow[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    return_state: bool,
    flow_run_id: uuid.UUID | None = None,
) -> Any:
    """Run ``flow``; with ``flow_run_id``, run that existing flow run again in place."""
    engine = FlowRunEngine(flow, flow_run_id)
    state = engine.start(args, kwargs, return_state=return_state)
    if state is None:
        steps = phases(engine)
        step = _advance(steps)
        while not isinstance(step, State):
            try:
                reply = _perform_sync(engine, step)
            except BaseException as exc:
                step = _advance(steps, error=exc)
            else:
                step = _advance(steps, reply)
        state = step
    _name_the_run(engine, state)
    return state if return_state else state.result()


def _perform_sync(engine: FlowRunEngine, step: Step) -> Any:
    if isinstance(step, Call):
        deadline = step.deadline
        fn = engine.flow.fn
        if deadline is None:
            return fn(*step.args, **step.kwargs)
        token = current_deadline.set(deadline.nearest(current_deadline.get()))
        try:
            if deadline.remaining() <= 0:
                raise deadline.passed()
            with timeout_after(deadline.remaining(), deadline.error):
                return fn(*step.args, **step.kwargs)
        finally:
            current_deadline.reset(token)
    if isinstance(step, Wait):
        engine.wait_for_tasks(step.ctx, step.deadline)
        return None
    time.sleep(step.seconds)
    return None


# -- the async driver ----------------------------------------------------------------


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
    state = engine.start(args, kwargs, return_state=return_state)
    if state is None:
        steps = phases(engine)
        step = _advance(steps)
        while not isinstance(step, State):
            try:
                reply = await _perform_async(engine, step)
            except BaseException as exc:
                step = _advance(steps, error=exc)
            else:
                step = _advance(steps, reply)
        state = step
    _name_the_run(engine, state)
    if return_state:
        return state
    try:
        return state.result()
    except Exception as exc:
        reraise_trimmed(exc)


async def _perform_async(engine: FlowRunEngine, step: Step) -> Any:
    if isinstance(step, Call):
        coro = engine.flow.fn(*step.args, **step.kwargs)
        deadline = step.deadline
        if deadline is None:
            return await coro
        token = current_deadline.set(deadline.nearest(current_deadline.get()))
        try:
            return await _within(coro, deadline)
        finally:
            current_deadline.reset(token)
    if isinstance(step, Wait):
        await _wait_for_tasks_async(step.ctx, step.deadline)
        return None
    await asyncio.sleep(step.seconds)
    return None


async def _within(coro: Any, deadline: Deadline) -> Any:
    """Await ``coro``, cancelling it when ``deadline`` passes (then raising its error,
    even if the coroutine swallowed the cancellation)."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(coro)
    fired = False

    def fire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    handle = loop.call_later(max(deadline.remaining(), 0.0), fire)
    try:
        value = await task
    except asyncio.CancelledError:
        if fired:
            raise deadline.passed() from None
        raise
    finally:
        handle.cancel()
    if fired:
        raise deadline.passed()
    return value


async def _wait_for_tasks_async(ctx: FlowRunContext, deadline: Deadline | None) -> None:
    """``FlowRunEngine.wait_for_tasks`` without blocking the event loop (and without a
    thread that would outlive a deadline)."""
    loop = asyncio.get_running_loop()
    pending = ctx.pending_futures
    while pending:
        try:
            future = next(iter(pending))
        except (StopIteration, RuntimeError):  # emptied or changed meanwhile
            await asyncio.sleep(0)
            continue
        inner = future._future
        del future
        if not inner.done():
            waiter: asyncio.Future[None] = loop.create_future()
            inner.add_done_callback(functools.partial(_wake, loop, waiter))
            if deadline is None:
                await waiter
            else:
                try:
                    await asyncio.wait_for(waiter, max(deadline.remaining(), 0.0))
                except asyncio.TimeoutError:
                    raise deadline.passed() from None
        await asyncio.sleep(0)  # let the done callbacks forget the future


def _wake(loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[None], _: object) -> None:
    def set_done() -> None:
        if not waiter.done():
            waiter.set_result(None)

    try:
        loop.call_soon_threadsafe(set_done)
    except RuntimeError:  # the loop is closed: nobody waits any more
        pass
