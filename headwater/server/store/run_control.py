"""Heartbeats, cancellation and crashes of flow runs run by workers and serve processes."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select, update

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import flow_run_states, flow_runs
from headwater.server.orchestration.rules import retry_delay
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.states import AwaitingRetry, Cancelled, Cancelling, Crashed, State, StateType

if TYPE_CHECKING:
    from headwater.schemas.filters import FlowRunFilter

UTC = dt.timezone.utc
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
#: Subflows are followed this deep when cancelling or crashing a parent.
MAX_DEPTH = 20


def heartbeat_flow_run(
    conn: Connection, *, flow_run_id: UUID, pid: str | None = None, now: float | None = None
) -> str:
    """Record that the run's process is alive; the run's state type (a process that
    hears CANCELLING stops itself)."""
    values: dict[str, Any] = {"heartbeat": now if now is not None else time.time()}
    if pid is not None:
        values["infrastructure_pid"] = pid
    row = conn.execute(
        update(flow_runs)
        .where(flow_runs.c.id == flow_run_id)
        .values(**values)
        .returning(flow_runs.c.state_type)
    ).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    return str(row.state_type)


def _row(conn: Connection, flow_run_id: UUID) -> Any:
    query = select(flow_runs).where(flow_runs.c.id == flow_run_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    return row


def _attempt_over(conn: Connection, row: Any, flow_run_id: UUID, since: float) -> bool:
    """Whether the run is suspended, or was suspended or ended at ``since`` or later."""
    if row.state_type == "PAUSED" and row.state_name == "Suspended":
        return True
    S = flow_run_states.c
    ended = select(S.id).where(
        S.flow_run_id == flow_run_id,
        S.timestamp >= since,
        or_(S.type.in_(FINAL), and_(S.type == "PAUSED", S.name == "Suspended")),
    )
    return conn.execute(ended.limit(1)).first() is not None


def _children(conn: Connection, flow_run_id: UUID) -> list[UUID]:
    rows = conn.execute(
        select(flow_runs.c.id).where(
            flow_runs.c.parent_flow_run_id == flow_run_id,
            flow_runs.c.state_type.not_in(FINAL),
        )
    )
    return [UUID(str(r)) for r in rows.scalars()]


def cancel_flow_run(
    conn: Connection, *, flow_run_id: UUID, message: str | None = None, _depth: int = 0
) -> State:
    """Ask a run to stop: one that has not started is Cancelled at once; one that is
    running becomes Cancelling (its worker or serve process stops it).  Its subflows
    are cancelled too.  Returns the run's new state (unchanged if it had finished)."""
    row = _row(conn, flow_run_id)
    kind = row.state_type
    if kind in FINAL or kind == "CANCELLING":
        from headwater.server.store.states import state_from_columns

        return state_from_columns(dict(row._mapping), run_key="flow_run_id")
    text = message or "cancelled on request"
    not_started = kind in ("SCHEDULED", "PAUSED") or (
        kind == "PENDING" and row.worker_name is None and row.heartbeat is None
    )
    state = Cancelled(message=text) if not_started else Cancelling(message=text)
    result = set_flow_run_state(conn, flow_run_id=flow_run_id, state=state, force=True)
    if _depth < MAX_DEPTH:
        for child in _children(conn, flow_run_id):
            cancel_flow_run(
                conn, flow_run_id=child, message="its parent run was cancelled", _depth=_depth + 1
            )
    return result.state


def cancel_flow_runs(
    conn: Connection, *, flow_run_filter: FlowRunFilter, limit: int = 1000
) -> list[UUID]:
    """Cancel every unfinished run matching the filter (e.g. Late runs of a
    deployment); the ids of the runs that were cancelled or are being cancelled."""
    from headwater.server.db.tables import flows
    from headwater.server.store.flow_runs import apply_flow_run_filter

    query = (
        select(flow_runs.c.id)
        .join(flows, flows.c.id == flow_runs.c.flow_id)
        .where(flow_runs.c.state_type.not_in((*FINAL, "CANCELLING")))
        .order_by(flow_runs.c.created)
        .limit(limit)
    )
    query = apply_flow_run_filter(query, flow_run_filter, conn.dialect.name)
    ids = [UUID(str(r)) for r in conn.execute(query).scalars()]
    done = []
    for run_id in ids:
        state = cancel_flow_run(conn, flow_run_id=run_id, message="cancelled in bulk")
        if state.type in (StateType.CANCELLED, StateType.CANCELLING):
            done.append(run_id)
    return done


def crash_flow_run(
    conn: Connection,
    *,
    flow_run_id: UUID,
    message: str,
    now: float | None = None,
    attempt_since: float | None = None,
    _depth: int = 0,
) -> State:
    """End a run whose process is gone: Crashed (Cancelled if it was being cancelled),
    then, for a deployment's run with flow retries left, AwaitingRetry so a worker
    runs it again.  Its unfinished subflows (run in the same process) crash too.

    ``attempt_since``: the process was the attempt claimed at this time (a
    timestamp); if the run was suspended, or ended, since then, that attempt is over
    and the run (resumed or retried since) belongs to a later one: it is left as it
    is.  Decided in this transaction, so a resume racing the report cannot be
    crashed by it.  A final run is always left as it is."""
    now = now if now is not None else time.time()
    row = _row(conn, flow_run_id)
    kind = row.state_type
    if kind in FINAL or (
        attempt_since is not None and _attempt_over(conn, row, flow_run_id, attempt_since)
    ):
        from headwater.server.store.states import state_from_columns

        return state_from_columns(dict(row._mapping), run_key="flow_run_id")
    if kind == "CANCELLING":
        state = Cancelled(message=f"cancelled ({message})")
    else:
        state = Crashed(message=message)
    result = set_flow_run_state(conn, flow_run_id=flow_run_id, state=state, force=True)
    conn.execute(update(flow_runs).where(flow_runs.c.id == flow_run_id).values(heartbeat=None))
    if _depth < MAX_DEPTH:
        for child in _children(conn, flow_run_id):
            crash_flow_run(
                conn,
                flow_run_id=child,
                message=f"its parent run ended: {message}",
                now=now,
                _depth=_depth + 1,
            )
    if kind == "CANCELLING" or row.deployment_id is None:
        return result.state
    policy = row.empirical_policy or {}
    retries = int(policy.get("retries") or 0)
    attempts = int(row.run_count or 0)
    if retries <= 0 or attempts < 1 or attempts > retries:
        return result.state
    delay = retry_delay(policy.get("retry_delay_seconds"), attempts)
    retry = AwaitingRetry(
        dt.datetime.fromtimestamp(now + delay, UTC),
        message=f"retry {attempts} of {retries} after a crash: {message}",
    )
    return set_flow_run_state(conn, flow_run_id=flow_run_id, state=retry).state
