"""``run_deployment("flow/deployment", parameters=..., timeout=...)``: start a run of a
deployment and (by default) wait for it to finish."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from uuid import UUID

from headwater.exceptions import InvalidOptionError


def run_deployment(
    name: str | UUID,
    parameters: dict[str, Any] | None = None,
    *,
    timeout: float | None = None,
    idempotency_key: str | None = None,
    scheduled_time: dt.datetime | None = None,
    tags: list[str] | None = None,
    work_queue_name: str | None = None,
    flow_run_name: str | None = None,
    as_subflow: bool = True,
    poll_interval: float | None = None,
) -> Any:
    """Create a run of deployment ``name`` (``flow-name/deployment-name`` or its id) and
    wait until it finishes, or ``timeout`` seconds (``0``: return at once).  Returns the
    ``FlowRun`` as last read.  Called inside a flow, the new run is its child.

    A parameter that does not fit the flow's signature raises
    ``ParameterValidationError`` here, when the run is created."""
    from headwater.client import shared_client
    from headwater.context import FlowRunContext
    from headwater.schemas.deployments import DeploymentFlowRunCreate

    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout < 0):
        raise InvalidOptionError(f"timeout must be a number of seconds ≥ 0, got {timeout!r}")
    client = shared_client()
    if isinstance(name, UUID):
        deployment = client.read_deployment(name)
    else:
        try:
            deployment = client.read_deployment(UUID(str(name)))
        except ValueError:
            deployment = client.read_deployment_by_name(str(name))
    parent = FlowRunContext.get() if as_subflow else None
    from pydantic import ValidationError

    try:
        body = DeploymentFlowRunCreate(
            parameters=parameters or {},
            idempotency_key=idempotency_key,
            scheduled_time=scheduled_time,
            tags=list(tags or []),
            work_queue_name=work_queue_name,
            name=flow_run_name,
            parent_flow_run_id=parent.flow_run_id if parent is not None else None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise InvalidOptionError(f"run_deployment: {where}: {error['msg']}") from None
    run = client.create_flow_run_from_deployment(deployment.id, body)
    if timeout == 0:
        return run
    return wait_for_run(client, run.id, timeout=timeout, poll_interval=poll_interval)


def wait_for_run(
    client: Any, flow_run_id: UUID, *, timeout: float | None, poll_interval: float | None = None
) -> Any:
    """Read the run until it is final (or ``timeout`` passes); the last read."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = poll_interval or 0.05
    while True:
        run = client.read_flow_run(flow_run_id)
        if run.state.is_final():
            return run
        if deadline is not None and time.monotonic() >= deadline:
            return run
        wait = delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic()))
        time.sleep(wait)
        if poll_interval is None:
            delay = min(delay * 1.5, 1.0)
