"""Retrying a finished flow run from the server (the UI's Retry button).

The server cannot run user code, so a retry requested here is handed to whoever
runs the run's deployment: the run (same id, same parameters) goes back to
``AwaitingRetry`` — a Scheduled state, due now — and a worker or ``serve`` process
claims it like any due run.  The engine then starts attempt ``run_count + 1`` and
reads the run's resume map (``task_runs.read_resume_map``), so task runs that
completed and persisted their result end ``Cached`` instead of running again: a
re-run from where it failed (see docs/results.md).

A run with no deployment has nobody to pick it up; ``retry_blocker`` says so, and
``headwater flow-run retry ID`` re-runs it from failure in the user's own process.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from headwater.exceptions import ObjectNotFound, UserInputError
from headwater.server.db.tables import flow_runs
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.states import AwaitingRetry, State

#: What a Retry accepts: finished, and not successfully.
RETRYABLE = ("FAILED", "CRASHED", "CANCELLED")


class NotRetryable(UserInputError):
    """The run cannot be retried from the server (the message says why)."""


def retry_blocker(run: dict[str, Any]) -> str | None:
    """Why the run (a ``flow_runs`` row as a dict) cannot be retried here; None if it can."""
    kind = run["state_type"]
    if kind not in RETRYABLE:
        return (
            "only a Failed, Crashed or Cancelled run can be retried; "
            f"this one is {run['state_name']}"
        )
    if run.get("deployment_id") is None:
        return (
            "this run was not started from a deployment, so no worker can pick it up; "
            f"re-run it from where it failed with `headwater flow-run retry {run['id']}`"
        )
    unstored = (run.get("empirical_policy") or {}).get("unstored_parameters")
    if unstored:
        names = ", ".join(repr(n) for n in unstored)
        return f"its parameter(s) {names} could not be stored, so it cannot be run again"
    return None


def retry_flow_run(conn: Connection, *, flow_run_id: UUID) -> State:
    """Schedule the run again now (``AwaitingRetry``) for its deployment's worker;
    ``NotRetryable`` (one line) when ``retry_blocker`` objects."""
    query = select(flow_runs).where(flow_runs.c.id == flow_run_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    blocker = retry_blocker(dict(row._mapping))
    if blocker is not None:
        raise NotRetryable(f"flow run {flow_run_id} cannot be retried: {blocker}")
    state = AwaitingRetry(message="retry requested in the UI: re-running from where it failed")
    result = set_flow_run_state(conn, flow_run_id=flow_run_id, state=state)
    if not result.accepted:
        raise NotRetryable(f"flow run {flow_run_id} cannot be retried: {result.reason}")
    return result.state
