"""The scheduler: keeps each active schedule's next runs in the store.

For every deployment that is not paused, each active schedule gets its next runs:
at least ``scheduler_min_runs`` (3), then more until ``scheduler_min_scheduled_seconds``
(an hour) is covered, never more than ``scheduler_max_runs`` (100) nor further than
``scheduler_max_scheduled_days`` (100) ahead once the minimum is met.  Every run
carries the key ``scheduled:{deployment}:{schedule}:{time}`` and is inserted with
``ON CONFLICT DO NOTHING``, so passes may repeat, overlap, or run in several server
processes on one PostgreSQL without ever making a duplicate.

Missed runs: when the previous pass over a deployment is older than three loop
intervals the server was down; the runs due during the gap follow the deployment's
``missed_runs`` policy — ``run_all`` (every missed time runs), ``run_latest`` (only
the newest per schedule; the others end Cancelled, named Skipped) or ``skip`` (all
Skipped).  A run later than the deployment's ``lateness_limit_seconds`` is Skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, func, select, update

from headwater.core.run_keys import scheduled_key
from headwater.core.schedules import Schedule, schedule_from_dict
from headwater.server.db.after_commit import after_commit
from headwater.server.db.database import Database
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import deployment_schedules, deployments, flow_run_states, flow_runs
from headwater.server.notify import notify_work
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.server.store.states import state_columns
from headwater.settings import get_settings
from headwater.states import Scheduled, State, StateType
from headwater.utilities.ids import new_id
from headwater.utilities.names import random_run_name

logger = logging.getLogger("headwater.services.scheduler")
UTC = dt.timezone.utc
#: Deployments handled per write transaction (a short lock on SQLite).
BATCH = 100


@dataclass
class SchedulerReport:
    deployments: int = 0
    created: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Horizon:
    min_runs: int
    max_runs: int
    min_seconds: float
    max_seconds: float

    @classmethod
    def from_settings(cls) -> Horizon:
        s = get_settings()
        return cls(
            s.scheduler_min_runs,
            s.scheduler_max_runs,
            s.scheduler_min_scheduled_seconds,
            s.scheduler_max_scheduled_days * 86400.0,
        )


def upcoming_times(schedule: Schedule, now: float, horizon: Horizon) -> list[dt.datetime]:
    """The due times the scheduler keeps ahead for ``schedule`` (see module doc)."""
    start = dt.datetime.fromtimestamp(now, UTC)
    out: list[dt.datetime] = []
    for when in schedule.iter_times(start):
        ahead = when.timestamp() - now
        if len(out) >= horizon.min_runs and (
            ahead > horizon.min_seconds or ahead > horizon.max_seconds
        ):
            break
        if len(out) >= horizon.max_runs:
            break
        out.append(when)
    return out


def run_once(
    db: Database,
    now: float | None = None,
    *,
    deployment_ids: Iterable[UUID] | None = None,
) -> SchedulerReport:
    """One pass over every deployment (or only ``deployment_ids``)."""
    now = now if now is not None else time.time()
    settings = get_settings()
    horizon = Horizon.from_settings()
    gap = 3 * settings.services_loop_seconds
    wanted = list(deployment_ids) if deployment_ids is not None else None
    report = SchedulerReport()
    with db.begin_read() as conn:
        rows = _deployments(conn, wanted)
    for start in range(0, len(rows), BATCH):
        ids = [row.id for row in rows[start : start + BATCH]]
        with db.begin_write() as conn:
            # Read again inside the write transaction (schedule rows locked on
            # PostgreSQL): a schedule switched off or a deployment paused since the
            # first read must not get runs.
            chunk = _deployments(conn, ids, lock=True)
            schedules = _schedules(conn, ids, lock=True)
            covered = _covered(conn, [row.id for row in chunk], now, horizon)
            created = 0
            for row in chunk:
                plan = _plan(row, schedules.get(str(row.id), []), now, horizon, gap, covered)
                created += _insert_runs(conn, row, plan.runs, now)
                report.skipped += _skip(conn, row, plan.skip_windows, plan.keep, now)
            report.skipped += _skip_too_late(conn, chunk, now)
            if created:  # the bulk insert emits no events: wake workers here
                after_commit(conn, notify_work)
            conn.execute(
                update(deployments)
                .where(deployments.c.id.in_([row.id for row in chunk]))
                .values(last_scheduler_pass=now)
            )
        report.created += created
        report.deployments += len(chunk)
    return report


def _deployments(conn: Connection, wanted: list[UUID] | None, *, lock: bool = False) -> list[Any]:
    from headwater.server.db.tables import flows

    active = select(deployment_schedules.c.deployment_id).where(
        deployment_schedules.c.active.is_(True)
    )
    query = (
        select(*deployments.c, flows.c.name.label("flow_name"))
        .join(flows, flows.c.id == deployments.c.flow_id)
        .where(deployments.c.paused.is_(False), deployments.c.id.in_(active))
        .order_by(deployments.c.id)
    )
    if wanted is not None:
        query = query.where(deployments.c.id.in_(wanted))
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=deployments)
    return list(conn.execute(query).all())


def _schedules(
    conn: Connection, ids: list[Any], *, lock: bool = False
) -> dict[str, list[tuple[UUID, Schedule, dict]]]:
    out: dict[str, list[tuple[UUID, Schedule, dict]]] = {}
    if not ids:
        return out
    for start in range(0, len(ids), 1000):
        query = select(deployment_schedules).where(
            deployment_schedules.c.deployment_id.in_(ids[start : start + 1000]),
            deployment_schedules.c.active.is_(True),
        )
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        rows = conn.execute(query)
        for row in rows:
            try:
                schedule = _parsed(row.schedule)
            except Exception as exc:  # a bad stored schedule must not stop the others
                logger.error("schedule %s cannot be read: %s", row.id, exc)
                continue
            out.setdefault(str(row.deployment_id), []).append(
                (UUID(str(row.id)), schedule, dict(row.parameters or {}))
            )
    return out


_parsed_cache: dict[str, Schedule] = {}


def _parsed(timing: dict[str, Any]) -> Schedule:
    """Stored timings parsed once per process (parsing a cron costs ~0.2 ms)."""
    import json

    key = json.dumps(timing, sort_keys=True)
    schedule = _parsed_cache.get(key)
    if schedule is None:
        if len(_parsed_cache) > 10_000:
            _parsed_cache.clear()
        schedule = _parsed_cache[key] = schedule_from_dict(dict(timing))
    return schedule


@dataclass
class _Plan:
    runs: list[tuple[UUID, dict, dt.datetime]]  # (schedule id, parameters, time)
    skip_windows: list[tuple[UUID, float, float]]  # (schedule id, after, until)
    keep: set[str]  # keys not to skip (run_latest's newest missed run)


def _covered(conn: Connection, ids: list[Any], now: float, horizon: Horizon) -> set[str]:
    """Schedules whose upcoming runs already reach past the horizon: the scheduler made
    them as a consecutive run of times, so nothing is missing and their times need not
    be computed again (the common case on every pass but the first)."""
    c = flow_runs.c
    rows = conn.execute(
        select(c.schedule_id, func.count(), func.max(c.next_scheduled_start_time))
        .where(
            c.deployment_id.in_(ids),
            c.auto_scheduled.is_(True),
            c.state_type == "SCHEDULED",
            c.next_scheduled_start_time > now,
        )
        .group_by(c.schedule_id)
    )
    reach = min(horizon.min_seconds, horizon.max_seconds)
    return {
        str(schedule_id)
        for schedule_id, count, latest in rows
        if count >= horizon.min_runs and latest - now > reach
    }


def _plan(
    row: Any,
    schedules: list[Any],
    now: float,
    horizon: Horizon,
    gap: float,
    covered: set[str] | None = None,
) -> _Plan:
    plan = _Plan([], [], set())
    last = row.last_scheduler_pass
    missed = last is not None and now - last > gap
    for schedule_id, schedule, parameters in schedules:
        if covered is None or str(schedule_id) not in covered:
            for when in upcoming_times(schedule, now, horizon):
                plan.runs.append((schedule_id, parameters, when))
        if not missed:
            continue
        times = schedule.next_times(
            dt.datetime.fromtimestamp(last, UTC),
            until=dt.datetime.fromtimestamp(now, UTC),
            count=10 * horizon.max_runs,
        )
        policy = row.missed_runs
        if policy == "run_all":
            chosen = times[-horizon.max_runs :]
        elif policy == "run_latest":
            chosen = times[-1:]
        else:
            chosen = []
        for when in chosen:
            plan.runs.append((schedule_id, parameters, when))
            plan.keep.add(scheduled_key(row.id, schedule_id, when))
        if policy != "run_all":
            plan.skip_windows.append((schedule_id, last, now))
    return plan


def _insert_runs(
    conn: Connection, row: Any, runs: list[tuple[UUID, dict, dt.datetime]], now: float
) -> int:
    if not runs:
        return 0
    values = []
    states: dict[UUID, Any] = {}
    base_parameters = dict(row.parameters or {})
    for schedule_id, parameters, when in runs:
        run_id = new_id()
        state = Scheduled(when)
        state.state_details.flow_run_id = run_id
        states[run_id] = state
        ts = when.timestamp()
        values.append(
            {
                "id": run_id,
                "flow_id": row.flow_id,
                "name": random_run_name(),
                "flow_version": row.version,
                "parameters": {**base_parameters, **parameters},
                "tags": list(row.tags or []),
                "parent_flow_run_id": None,
                "parent_task_run_id": None,
                "idempotency_key": scheduled_key(row.id, schedule_id, when),
                "run_count": 0,
                "empirical_policy": dict(row.empirical_policy or {}),
                "expected_start_time": ts,
                "next_scheduled_start_time": ts,
                "start_time": None,
                "end_time": None,
                "total_run_time": 0.0,
                "created": now,
                "updated": now,
                "entrypoint": row.entrypoint,
                "deployment_id": row.id,
                "work_pool_id": row.work_pool_id,
                "work_queue_id": row.work_queue_id,
                "schedule_id": schedule_id,
                "auto_scheduled": True,
                "worker_name": None,
                "infrastructure_pid": None,
                "heartbeat": None,
                **state_columns(state),
            }
        )
    stmt = insert_for(conn, flow_runs).on_conflict_do_nothing().returning(flow_runs.c.id)
    inserted = [UUID(str(i)) for i in conn.execute(stmt, values).scalars()]
    if inserted:
        conn.execute(
            flow_run_states.insert(),
            [
                {
                    "id": new_id(),
                    "flow_run_id": run_id,
                    "type": states[run_id].type.value,
                    "name": states[run_id].name,
                    "message": None,
                    "timestamp": now,
                    "details": states[run_id].state_details.to_dict(),
                }
                for run_id in inserted
            ],
        )
    return len(inserted)


def _skip(
    conn: Connection,
    row: Any,
    windows: list[tuple[UUID, float, float]],
    keep: set[str],
    now: float,
) -> int:
    skipped = 0
    c = flow_runs.c
    for schedule_id, after, until in windows:
        candidates = conn.execute(
            select(c.id, c.idempotency_key).where(
                c.deployment_id == row.id,
                c.schedule_id == schedule_id,
                c.auto_scheduled.is_(True),
                c.state_type == "SCHEDULED",
                c.run_count == 0,
                c.next_scheduled_start_time > after,
                c.next_scheduled_start_time <= until,
            )
        ).all()
        for run in candidates:
            if run.idempotency_key in keep:
                continue
            message = f"missed while the scheduler was down (missed_runs={row.missed_runs})"
            _mark_skipped(conn, run.id, message)
            skipped += 1
    return skipped


def _skip_too_late(conn: Connection, rows: list[Any], now: float) -> int:
    limited = [(row.id, row.lateness_limit_seconds) for row in rows if row.lateness_limit_seconds]
    skipped = 0
    c = flow_runs.c
    for deployment_id, limit in limited:
        late = conn.execute(
            select(c.id).where(
                and_(
                    c.deployment_id == deployment_id,
                    c.auto_scheduled.is_(True),
                    c.state_type == "SCHEDULED",
                    c.run_count == 0,
                    c.next_scheduled_start_time < now - limit,
                )
            )
        ).scalars()
        for run_id in list(late):
            _mark_skipped(conn, run_id, f"more than {limit:g} s late (the lateness limit)")
            skipped += 1
    return skipped


def _mark_skipped(conn: Connection, run_id: Any, message: str) -> None:
    skipped: State = State(StateType.CANCELLED, "Skipped", message)
    set_flow_run_state(conn, flow_run_id=run_id, state=skipped)
