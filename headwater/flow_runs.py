"""Working with flow runs from code, under Prefect's ``prefect.flow_runs`` names.

``wait_for_flow_run`` waits for a run (one started with ``run_deployment(...,
timeout=0)``, say) to finish.  ``pause_flow_run`` pauses the current flow run until
``resume_flow_run`` (or the CLI, the API, the run's page) resumes it, optionally with
input (``headwater.input.RunInput``).  ``suspend_flow_run`` ends the
process instead: a deployment run is Suspended, and once resumed a worker runs it
again from the top, its completed tasks coming back from their persisted results.
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


class SuspendNotAvailable(PauseError):
    """A flow run that cannot be suspended (not a deployment run, another run)."""


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


def suspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: UUID | str | None = None,
    timeout: int | None = 3600,
    key: str | None = None,
) -> Any:
    """Suspend the current flow run: its state becomes Suspended (a Paused state) and
    this process ends, without the run ending Failed or Crashed.  Resuming it
    (``resume_flow_run``, ``headwater flow-run resume``, the API or the run's page)
    makes it Scheduled again; a worker then runs the flow again from the top, and
    task runs that completed with a persisted result are not run again (their
    results are read back: give the flow ``persist_result=True``).  In the resumed
    run this call returns the input (``wait_for_input``, as ``pause_flow_run``)
    instead of suspending again.  Not resumed within ``timeout`` seconds, the run
    ends Failed.  Only a deployment run (one a worker can start again) can be
    suspended."""
    from headwater.context import FlowRunContext, TaskRunContext
    from headwater.exceptions import ObjectAlreadyExists, Pause
    from headwater.logging.loggers import context_flow_logger
    from headwater.states import Suspended

    ctx = FlowRunContext.get()
    if ctx is None:
        raise PauseError("suspend_flow_run() must be called inside a flow run")
    if TaskRunContext.get() is not None:
        raise PauseError("task runs cannot be suspended: call suspend_flow_run() in the flow")
    run_id = ctx.flow_run_id
    if flow_run_id is not None and UUID(str(flow_run_id)) != run_id:
        raise SuspendNotAvailable(
            "suspend_flow_run() suspends the current flow run only (flow_run_id must be its id)"
        )
    client = ctx.backend.client
    run = client.read_flow_run(run_id)
    if run.deployment_id is None:
        raise SuspendNotAvailable(
            "Cannot suspend flow runs without a deployment: only a deployment run can be "
            "started again by a worker (use pause_flow_run() to wait in this process)"
        )
    key = key or f"paused-{int(ctx.next_dynamic_key('__pause__')) + 1}"
    model = automatic = None
    if wait_for_input is not None:
        from headwater.input.run_input import input_model

        model, automatic = input_model(wait_for_input)
    if client.read_flow_run_input(run_id, f"{key}-suspended") is not None:
        # Suspended here before and resumed since: this is the run started again.
        if model is None:
            return None
        value = client.read_flow_run_input(run_id, f"{key}-response")
        instance = model.model_validate(value if value is not None else {})
        return instance.value if automatic else instance  # type: ignore[attr-defined]
    if model is not None:
        try:
            client.create_flow_run_input(run_id, f"{key}-schema", model.input_schema())
        except ObjectAlreadyExists:
            pass
    results = ctx.results
    if results is None or not results.persist:
        context_flow_logger(ctx).warning(
            "Suspending a flow run whose results are not persisted: its completed tasks "
            "run again when it is resumed (give the flow persist_result=True)"
        )
    ctx.backend.writer.flush()  # what ran before the suspension is in the store
    client.create_flow_run_input(run_id, f"{key}-suspended", {"attempt": ctx.run_count})
    result = client.set_flow_run_state(run_id, Suspended(timeout_seconds=timeout, pause_key=key))
    if not result.accepted:
        raise PauseError(
            f"flow run {run_id} cannot be suspended: {result.reason or result.state.name}"
        )
    logger.info("Suspended (key %r); the process ends until the run is resumed", key)
    raise Pause(f"flow run {run_id} suspended", state=result.state)


async def apause_flow_run(
    wait_for_input: Any = None,
    timeout: int = 3600,
    poll_interval: int = 10,
    key: str | None = None,
) -> Any:
    return await asyncio.to_thread(pause_flow_run, wait_for_input, timeout, poll_interval, key)


async def asuspend_flow_run(
    wait_for_input: Any = None,
    flow_run_id: UUID | str | None = None,
    timeout: int | None = 3600,
    key: str | None = None,
) -> Any:
    return suspend_flow_run(wait_for_input, flow_run_id, timeout, key)


async def aresume_flow_run(flow_run_id: UUID | str, run_input: dict[str, Any] | None = None) -> Any:
    return await asyncio.to_thread(resume_flow_run, flow_run_id, run_input)
