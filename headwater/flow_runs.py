"""Working with flow runs from code, under Prefect's ``prefect.flow_runs`` names.

``wait_for_flow_run`` waits for a run (one started with ``run_deployment(...,
timeout=0)``, say) to finish.  ``pause_flow_run`` pauses the current flow run until
``resume_flow_run`` (or the CLI, the API, the run's page) resumes it, optionally with
input (``headwater.input.RunInput``).  ``suspend_flow_run`` (end the process, resume
on a worker) is not built yet and says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from uuid import UUID

from headwater.exceptions import (
    FlowPauseTimeout,
    FlowRunWaitTimeout,
    HeadwaterError,
    PausedRunEnded,
    UserInputError,
)

__all__ = [
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "pause_flow_run",
    "resume_flow_run",
    "suspend_flow_run",
    "wait_for_flow_run",
]

logger = logging.getLogger("headwater.flow_runs")


async def wait_for_flow_run(
    flow_run_id: UUID | str,
    timeout: float | None = 10800,
    poll_interval: float | None = None,
    client: Any = None,
    log_states: bool = False,
) -> Any:
    """The flow run once it is in a final state; ``FlowRunWaitTimeout`` after
    ``timeout`` seconds (None waits for ever).  ``client`` may be a client from
    ``get_client()`` (sync or async); by default the configured store is read."""
    return await asyncio.to_thread(
        wait_for_flow_run_sync, flow_run_id, timeout, poll_interval, client, log_states
    )


def wait_for_flow_run_sync(
    flow_run_id: UUID | str,
    timeout: float | None = 10800,
    poll_interval: float | None = None,
    client: Any = None,
    log_states: bool = False,
) -> Any:
    """``wait_for_flow_run`` for code without an event loop."""
    from headwater.client import shared_client

    run_id = flow_run_id if isinstance(flow_run_id, UUID) else UUID(str(flow_run_id))
    reader = _sync_reader(client) or shared_client()
    interval = poll_interval if poll_interval is not None else 1.0
    deadline = None if timeout is None else time.monotonic() + timeout
    last_state = None
    while True:
        run = reader.read_flow_run(run_id)
        if log_states and run.state.name != last_state:
            logger.info("Flow run %s is %s", run.name, run.state.name)
            last_state = run.state.name
        if run.state.is_final():
            return run
        if deadline is not None and time.monotonic() >= deadline:
            raise FlowRunWaitTimeout(
                f"flow run {run_id} did not finish within {timeout} s (it is {run.state.name})"
            )
        remaining = interval if deadline is None else min(interval, deadline - time.monotonic())
        time.sleep(max(remaining, 0.01))


def _sync_reader(client: Any) -> Any:
    """The synchronous client behind a client handed to us (sync or async facade)."""
    if client is None:
        return None
    return getattr(client, "_sync", client)


class PauseError(UserInputError, RuntimeError):
    """``pause_flow_run`` called where no flow run can pause (outside a flow, in a task)."""


class SuspendNotAvailable(HeadwaterError, NotImplementedError):
    """Suspending (ending the process and resuming on a worker) is not built yet."""


def pause_flow_run(
    wait_for_input: Any = None,
    timeout: int = 3600,
    poll_interval: int = 10,
    key: str | None = None,
) -> Any:
    """Pause the current flow run: its state becomes Paused and this process waits
    (checking every ``poll_interval`` seconds at most) until someone resumes it
    (``resume_flow_run``, ``headwater flow-run resume``, the API or the run's page).

    ``wait_for_input`` (a ``RunInput`` subclass, or any type) makes the resume carry a
    value: it is checked against the type's schema when resuming, and returned here
    validated (a ``RunInput`` instance, or the plain value for a plain type).  After
    ``timeout`` seconds without a resume, ``FlowPauseTimeout`` is raised and the run
    ends Failed (unless the flow catches it).  ``key`` names the pause (default:
    ``paused-1``, ``paused-2``… per run)."""
    from headwater.context import FlowRunContext, TaskRunContext
    from headwater.states import Paused, Running, StateType

    ctx = FlowRunContext.get()
    if ctx is None:
        raise PauseError("pause_flow_run() must be called inside a flow run")
    if TaskRunContext.get() is not None:
        raise PauseError("task runs cannot be paused: call pause_flow_run() in the flow")
    client = ctx.backend.client
    run_id = ctx.flow_run_id
    key = key or f"paused-{int(ctx.next_dynamic_key('__pause__')) + 1}"
    model = automatic = None
    if wait_for_input is not None:
        from headwater.exceptions import ObjectAlreadyExists
        from headwater.input.run_input import input_model

        model, automatic = input_model(wait_for_input)
        try:
            client.create_flow_run_input(run_id, f"{key}-schema", model.input_schema())
        except ObjectAlreadyExists:
            pass  # a run resumed from failure pauses at the same key again
    ctx.backend.writer.flush()  # what ran before the pause is in the store
    result = client.set_flow_run_state(run_id, Paused(timeout_seconds=timeout, pause_key=key))
    if not result.accepted:
        raise PauseError(f"flow run {run_id} cannot pause: {result.reason or result.state.name}")
    logger.info("Paused (key %r); waiting up to %s s to be resumed", key, timeout)
    deadline = time.monotonic() + timeout
    wait = min(0.2, poll_interval)
    while True:
        state = client.read_flow_run(run_id).state
        if state.type is StateType.RUNNING:
            break
        if state.type is not StateType.PAUSED:
            raise PausedRunEnded(f"flow run {run_id} was {state.name} while paused")
        if time.monotonic() >= deadline:
            client.set_flow_run_state(run_id, Running(message="pause timed out"), force=True)
            raise FlowPauseTimeout(f"flow run {run_id} was not resumed within {timeout} s")
        time.sleep(max(0.01, min(wait, deadline - time.monotonic())))
        wait = min(wait * 1.5, poll_interval)
    logger.info("Resumed")
    if model is None:
        return None
    value = client.read_flow_run_input(run_id, f"{key}-response")
    instance = model.model_validate(value if value is not None else {})
    return instance.value if automatic else instance  # type: ignore[attr-defined]


def resume_flow_run(flow_run_id: UUID | str, run_input: dict[str, Any] | None = None) -> Any:
    """Resume a paused flow run; ``run_input`` is the input it waits for (checked
    against its schema: a bad field raises ``ParameterValidationError`` naming it)."""
    from headwater.client import shared_client

    run_id = flow_run_id if isinstance(flow_run_id, UUID) else UUID(str(flow_run_id))
    return shared_client().resume_flow_run(run_id, run_input)


def suspend_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise SuspendNotAvailable(
        "suspend_flow_run() is not available in this version of Headwater: use "
        "pause_flow_run() (the process waits) instead"
    )


async def apause_flow_run(
    wait_for_input: Any = None,
    timeout: int = 3600,
    poll_interval: int = 10,
    key: str | None = None,
) -> Any:
    return await asyncio.to_thread(pause_flow_run, wait_for_input, timeout, poll_interval, key)


async def asuspend_flow_run(*args: Any, **kwargs: Any) -> Any:
    return suspend_flow_run(*args, **kwargs)


async def aresume_flow_run(flow_run_id: UUID | str, run_input: dict[str, Any] | None = None) -> Any:
    return await asyncio.to_thread(resume_flow_run, flow_run_id, run_input)
