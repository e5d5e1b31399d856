"""Working with flow runs from code, under Prefect's ``prefect.flow_runs`` names.

``wait_for_flow_run`` waits for a run (one started with ``run_deployment(...,
timeout=0)``, say) to finish.  ``pause_flow_run``, ``suspend_flow_run`` and
``resume_flow_run`` are importable here; pausing itself arrives with the pause and
input work (issue 17), and until then calling them says so in one line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from uuid import UUID

from headwater.exceptions import FlowRunWaitTimeout, HeadwaterError

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


class PauseNotAvailable(HeadwaterError, NotImplementedError):
    """Pausing and suspending flow runs come with issue 17."""


def _not_yet(name: str) -> PauseNotAvailable:
    return PauseNotAvailable(
        f"{name}() is not available in this version of Headwater yet (pause and resume "
        "with input arrive with issue 17)"
    )


def pause_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("pause_flow_run")


def suspend_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("suspend_flow_run")


def resume_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("resume_flow_run")


async def apause_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("apause_flow_run")


async def asuspend_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("asuspend_flow_run")


async def aresume_flow_run(*args: Any, **kwargs: Any) -> Any:
    raise _not_yet("aresume_flow_run")
