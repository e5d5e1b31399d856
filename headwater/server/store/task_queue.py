"""Background task runs: submitted by ``Task.delay``, claimed by task workers.

A submitted run is a task-run row in state Scheduled with its serialized parameters
and ``claimable_at`` (when a worker may take it).  A claim moves due runs to Pending
and records the worker in ``claimed_by``, in one write transaction: on PostgreSQL
the rows are taken ``FOR UPDATE SKIP LOCKED`` (two workers never get the same run),
on SQLite the transaction is ``BEGIN IMMEDIATE``, so claims are serialized.

Once claimed, ``claimable_at`` is the claim's expiry: each poll of the worker that
holds the run pushes it ``lease_seconds`` ahead.  A worker that dies stops renewing,
and the next claim after the expiry takes the run again (whatever its state short
of final: Pending, Running, AwaitingRetry).  A run that ends clears ``claimable_at``
(``task_runs.upsert_task_runs``), which takes it out of the partial index the claim
reads.

Waking: a submission wakes, after commit, the long-polling requests of a server
process (``notify_work``) and the task workers of the embedded store that serve the
task (a datagram to the wake address they keep in ``task_workers``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, select, update

from headwater.core import wake
from headwater.server.db.after_commit import after_commit
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import task_runs, task_workers
from headwater.server.notify import notify_work
from headwater.states import StateType

if TYPE_CHECKING:
    from headwater.schemas.task_queue import TaskClaimRequest, TaskClaimResult, TaskRunSubmit
    from headwater.server.db.database import Database

#: States a background run can be taken back from once its claim expired.
_LIVE = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING]
#: A task worker not seen for this long is not woken (nor listed).
WORKER_TTL = 120.0

c = task_runs.c


def submit_task_runs(conn: Connection, *, runs: list[TaskRunSubmit]) -> None:
    """Insert Scheduled runs for task workers (a run submitted twice is kept once)."""
    if not runs:
        return
    now = time.time()
    rows = [
        {
            "id": run.id,
            "flow_run_id": None,
            "task_key": run.task_key,
            "dynamic_key": run.dynamic_key,
            "name": run.name,
            "state_type": StateType.SCHEDULED.value,
            "state_name": "Scheduled",
            "state_message": None,
            "state_timestamp": now,
            "transitions": [],
            "tags": run.tags,
            "inputs": {},
            "run_count": 0,
            "flow_run_attempt": 1,
            "created": now,
            "updated": now,
            "parameters": run.parameters,
            "claimed_by": None,
            "claimable_at": run.scheduled_time if run.scheduled_time is not None else now,
        }
        for run in runs
    ]
    conn.execute(insert_for(conn, task_runs).on_conflict_do_nothing(index_elements=["id"]), rows)
    keys = {run.task_key for run in runs}
    addresses = [
        row.wake
        for row in conn.execute(
            select(task_workers.c.wake, task_workers.c.task_keys).where(
                task_workers.c.last_heartbeat > now - WORKER_TTL, task_workers.c.wake.is_not(None)
            )
        )
        if keys.intersection(row.task_keys or ())
    ]
    after_commit(conn, notify_work)
    if addresses:
        after_commit(conn, _wake, addresses)


def _wake(addresses: list[str]) -> None:
    for address in addresses:
        wake.send(address)


def has_claimable(conn: Connection, *, task_keys: list[str], now: float) -> bool:
    """A cheap read (the partial index): may a claim for these tasks find a run?"""
    query = select(c.id).where(
        c.task_key.in_(task_keys), c.claimable_at <= now, c.state_type.in_(_LIVE)
    )
    return conn.execute(query.limit(1)).first() is not None


def claim_task_runs(
    conn: Connection,
    *,
    worker_name: str,
    task_keys: list[str],
    limit: int,
    lease_seconds: float,
    now: float,
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due runs of these tasks, oldest first: they move to
    Pending, held by ``worker_name`` until ``now + lease_seconds``."""
    if limit <= 0:
        return []
    query = (
        select(c.id, c.task_key, c.dynamic_key, c.name, c.tags, c.parameters, c.claimed_by)
        .where(c.task_key.in_(task_keys), c.claimable_at <= now, c.state_type.in_(_LIVE))
        .order_by(c.claimable_at, c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [dict(row._mapping) for row in conn.execute(query)]
    if not rows:
        return []
    conn.execute(
        update(task_runs)
        .where(c.id.in_([row["id"] for row in rows]))
        .values(
            state_type=StateType.PENDING.value,
            state_name="Pending",
            state_message=f"claimed by task worker {worker_name}",
            state_timestamp=now,
            updated=now,
            claimed_by=worker_name,
            claimable_at=now + lease_seconds,
        )
    )
    return rows


def renew_claims(
    conn: Connection,
    *,
    worker_name: str,
    task_run_ids: list[UUID],
    lease_seconds: float,
    now: float,
) -> None:
    """Push back the expiry of the claims ``worker_name`` still holds.

    On PostgreSQL a row locked right now (the worker's own writer storing the run's
    new state) is skipped, not waited for: waiting could deadlock with that write,
    which locks the same rows in another order, and the next poll renews it."""
    if not task_run_ids:
        return
    held = (c.id.in_(task_run_ids), c.claimed_by == worker_name, c.claimable_at.is_not(None))
    if conn.dialect.name == "postgresql":
        locked = select(c.id).where(*held).order_by(c.id).with_for_update(skip_locked=True)
        task_run_ids = list(conn.execute(locked).scalars())
        if not task_run_ids:
            return
    conn.execute(
        update(task_runs)
        .where(*held, c.id.in_(task_run_ids))
        .values(claimable_at=now + lease_seconds)
    )


def worker_seen(conn: Connection, *, request: TaskClaimRequest, wake_address: str | None) -> None:
    """Record the task worker (its tasks, where to wake it) as alive now."""
    values = {
        "task_keys": request.task_keys,
        "wake": wake_address,
        "hostname": request.hostname,
        "pid": request.pid,
        "last_heartbeat": time.time(),
    }
    stmt = insert_for(conn, task_workers).values(name=request.worker_name, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


def forget_worker(conn: Connection, *, name: str) -> None:
    """A task worker that stops leaves the table (no more wake-ups sent to it)."""
    conn.execute(task_workers.delete().where(task_workers.c.name == name))


def poll_task_runs(
    db: Database,
    *,
    request: TaskClaimRequest,
    heartbeat: bool = True,
    wake_address: str | None = None,
    woken: bool = False,
) -> TaskClaimResult:
    """One look for work for a task worker: renew its claims and note it alive
    (``heartbeat``), claim what is due.  A cheap read first: when nothing is due and
    no heartbeat is asked for, no write transaction is opened.  ``woken`` (a
    submission just woke the worker) skips the read: the claim looks anyway."""
    from headwater.schemas.task_queue import ClaimedTaskRun, TaskClaimResult

    now = time.time()
    due = woken and request.limit > 0
    if request.limit and not due:
        with db.begin_read() as conn:
            due = has_claimable(conn, task_keys=request.task_keys, now=now)
    rows: list[dict[str, Any]] = []
    if due or heartbeat:
        with db.begin_write() as conn:
            if heartbeat:
                renew_claims(
                    conn,
                    worker_name=request.worker_name,
                    task_run_ids=list(request.watched_ids),
                    lease_seconds=request.lease_seconds,
                    now=now,
                )
                worker_seen(conn, request=request, wake_address=wake_address)
            if due:
                rows = claim_task_runs(
                    conn,
                    worker_name=request.worker_name,
                    task_keys=request.task_keys,
                    limit=request.limit,
                    lease_seconds=request.lease_seconds,
                    now=now,
                )
    return TaskClaimResult(
        task_runs=[
            ClaimedTaskRun(
                id=row["id"],
                task_key=row["task_key"],
                dynamic_key=row["dynamic_key"],
                name=row["name"],
                tags=row["tags"] or [],
                parameters=row["parameters"],
                recovered_from=row["claimed_by"],
            )
            for row in rows
        ]
    )
