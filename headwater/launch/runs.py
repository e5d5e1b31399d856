"""Running an existing flow run in this process, in place: a run created elsewhere
(``python -m headwater.engine RUN_ID``, what workers start) or a retry from failure
(``headwater flow-run retry``, ``retry_flow_run`` from Python).

This is the top of the stack: it loads the run's flow (its entrypoint, or the
deployment's pull steps then its entrypoint) and hands it to the flow engine, which
reports through ``client``.  The run keeps its id and parameters and gets a new
attempt; see ``headwater.engine.resume`` for what is reused from earlier attempts.
"""

from __future__ import annotations

import uuid
from typing import Any

from headwater.engine.resume import RETRYABLE, STARTABLE, RetryError
from headwater.exceptions import ObjectNotFound, UserInputError
from headwater.states import AwaitingRetry, Crashed, State, StateType


def _flow_and_parameters(run: Any) -> tuple[Any, dict[str, Any]]:
    from headwater.flows import load_flow

    if not run.entrypoint:
        raise RetryError(
            f"flow run {run.id} has no entrypoint (its flow was defined in a notebook, a "
            "function or an interactive session), so it cannot be run again by id"
        )
    unstored = (run.empirical_policy or {}).get("unstored_parameters")
    if unstored:
        names = ", ".join(repr(n) for n in unstored)
        raise RetryError(
            f"flow run {run.id} cannot be run again: its parameter(s) {names} could not be "
            "stored (not JSON, or too large); start a new run instead"
        )
    return load_flow(run.entrypoint), dict(run.parameters or {})


def run_flow_run(flow_run_id: uuid.UUID, *, client: Any = None) -> State:
    """Run an existing flow run in this process, in place; return its final state."""
    from headwater.engine.flow_lifecycle import run_flow_async, run_flow_sync

    client = client or _client()
    try:
        run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        raise RetryError(f"flow run {flow_run_id} not found") from None
    if run.state.type not in STARTABLE:
        raise RetryError(
            f"flow run {flow_run_id} is {run.state.name}; only Scheduled or Pending runs "
            "can be started (use `headwater flow-run retry` for failed ones)"
        )
    if run.deployment_id is not None:
        flow, parameters = _deployment_flow(client, run), dict(run.parameters or {})
    else:
        flow, parameters = _flow_and_parameters(run)
    if flow.is_async:
        import asyncio

        return asyncio.run(
            run_flow_async(flow, (), parameters, return_state=True, flow_run_id=flow_run_id)
        )
    return run_flow_sync(flow, (), parameters, return_state=True, flow_run_id=flow_run_id)


def _deployment_flow(client: Any, run: Any) -> Any:
    """The deployment's flow after its pull steps; a failure ends the run Crashed."""
    import logging

    from headwater.launch.deployment_flows import load_deployment_flow, run_log

    try:
        return load_deployment_flow(client, run)
    except (UserInputError, ObjectNotFound) as exc:
        message = f"could not load the deployment's flow: {exc}"
        run_log(client, run.id, logging.ERROR, message.capitalize())
        client.crash_flow_run(run.id, message)
        raise RetryError(f"flow run {run.id} crashed: {message}") from None


def retry_flow_run(flow_run_id: uuid.UUID, *, force: bool = False, client: Any = None) -> State:
    """Re-run a Failed or Crashed flow run in place from where it failed.

    ``force`` also accepts a run still marked Running or Pending whose process died
    (killed, machine lost) when no server noticed: it is marked Crashed first.
    """
    client = client or _client()
    try:
        run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        raise RetryError(f"flow run {flow_run_id} not found") from None
    kind = run.state.type
    if kind not in RETRYABLE:
        if force and kind in (StateType.RUNNING, StateType.PENDING, StateType.SCHEDULED):
            client.set_flow_run_state(
                flow_run_id,
                Crashed(message="marked Crashed by `headwater flow-run retry --force`"),
                force=True,
            )
        elif kind in (StateType.RUNNING, StateType.PENDING):
            raise RetryError(
                f"flow run {flow_run_id} is {run.state.name}; if its process is gone, "
                "retry with --force"
            )
        else:
            raise RetryError(
                f"flow run {flow_run_id} is {run.state.name}; only Failed or Crashed runs "
                "can be retried"
            )
    if run.deployment_id is None:  # a deployment's run loads its flow after its pull steps
        _flow_and_parameters(run)  # refuse before changing anything
    result = client.set_flow_run_state(
        flow_run_id, AwaitingRetry(message="retry requested: re-running from where it failed")
    )
    if not result.accepted:
        raise RetryError(f"flow run {flow_run_id} cannot be retried: {result.reason}")
    return run_flow_run(flow_run_id, client=client)


def _client() -> Any:
    from headwater.client import shared_client

    return shared_client()


__all__ = ["RetryError", "retry_flow_run", "run_flow_run"]
