"""The engine's side of running an existing flow run again, in place: a retry from
failure (``headwater flow-run retry``) or a run created elsewhere (``python -m
headwater.engine RUN_ID``); ``headwater.launch.runs`` loads the run's flow and calls
the engine, which moves the run to Running here (``start_existing``).

The run keeps its id and parameters and gets a new attempt (``run_count + 1``).
Task runs that completed in an earlier attempt *and persisted their result* are
matched by ``(task_key, dynamic_key)`` — the task and the order of its calls in the
flow — and end ``Cached`` with that result instead of running again (when the task
has a cache key, it must also be the same).  A subflow is matched the same way
through its parent's task record: a completed child with a persisted result is not
run again; a failed one is resumed in place, recursively.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from headwater.exceptions import MissingResult, ObjectNotFound, UserInputError
from headwater.states import AwaitingRetry, Cached, Retrying, Running, State, StateType

if TYPE_CHECKING:
    from headwater.context import FlowRunContext
    from headwater.engine.flow_engine import FlowRunEngine
    from headwater.engine.task_results import FlowResults, ResumeMap

RETRYABLE = (StateType.FAILED, StateType.CRASHED)
STARTABLE = (StateType.SCHEDULED, StateType.PENDING)


class RetryError(UserInputError):
    """A flow run that cannot be retried or started (printed as one line)."""


def start_existing(
    client: Any, flow_run_id: uuid.UUID, *, child: bool
) -> tuple[State, str, int, ResumeMap | None]:
    """Move an existing run to Running; its state, name, attempt number and resume map."""
    try:
        run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        raise RetryError(f"flow run {flow_run_id} not found") from None
    if child and run.state.type not in STARTABLE:
        # A child of a resumed parent: the parent's retry is the explicit request.
        force = run.state.type not in RETRYABLE
        client.set_flow_run_state(
            flow_run_id, AwaitingRetry(message="resumed with its parent"), force=force
        )
    attempt = run.run_count + 1
    proposed = Retrying() if run.run_count else Running()
    result = client.set_flow_run_state(flow_run_id, proposed)
    if not result.accepted:
        raise RetryError(
            f"flow run {flow_run_id} cannot start: {result.reason or result.state.name}"
        )
    resume = client.read_resume_map(flow_run_id) if run.run_count else None
    return result.state, run.name, attempt, resume or None


def subflow_entry(parent: FlowRunContext, task_key: str, dynamic_key: str) -> dict[str, Any] | None:
    """For a subflow call in a resuming parent: ``{"cached": State}`` when the previous
    child completed with a persisted result, ``{"resume_id": id}`` when it did not
    finish (it is resumed in place), None otherwise."""
    results = parent.results
    if results is None or results.resume is None:
        return None
    entry = results.resume.get((task_key, dynamic_key))
    if entry is None:
        return None
    child = entry.get("child_flow_run_id")
    if entry.get("state_type") == StateType.COMPLETED:
        ref = entry.get("result")
        if not ref:
            return None  # completed but not persisted: it runs again, as a new run
        from headwater.results.records import load_ref

        try:
            value = load_ref(ref, None if ref.get("storage") else results.storage)
        except MissingResult:
            return None
        state = Cached(value, message="reused from an earlier attempt")
        state.state_details.result_ref = ref
        if child:
            state.state_details.flow_run_id = uuid.UUID(str(child))
        return {"cached": state}
    if child:
        return {"resume_id": uuid.UUID(str(child))}
    return None


def persist_flow_result(
    engine: FlowRunEngine, ctx: FlowRunContext, state: State, results: FlowResults
) -> None:
    """Write a completed flow run's result and put its ref on the state."""
    from headwater.futures import resolve_futures_to_states
    from headwater.logging.loggers import context_flow_logger
    from headwater.results.records import write_result

    value = _plain_value(resolve_futures_to_states(state.data if state.has_data else None))
    key = f"flow-runs/{engine.flow_run_id}/{engine.run_count}"
    try:
        state.state_details.result_ref = dict(
            write_result(results.storage, key, value, results.serializer)
        )
    except Exception as exc:
        context_flow_logger(ctx).warning(
            "Could not persist the flow run's result (%s: %s)", type(exc).__name__, exc
        )


def _plain_value(value: Any) -> Any:
    """States inside a returned value become their results (what ``.result()`` gives)."""
    if isinstance(value, State):
        return value.result(raise_on_failure=False) if value.is_final() else None
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_plain_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    return value


__all__ = [
    "RETRYABLE",
    "STARTABLE",
    "RetryError",
    "persist_flow_result",
    "start_existing",
    "subflow_entry",
]
