"""Deployments: applied idempotently by flow and name, read with their schedules.

Applying a deployment again with the same definition changes nothing, so its
scheduled runs stay as they are.  A schedule's id is derived from the deployment and
the schedule's timing (``schedule_id_for``), so the idempotency keys of its runs
(``scheduled:{deployment}:{schedule}:{time}``) survive re-applies; a schedule whose
activity or parameters change, or that disappears, loses its unstarted runs (the
scheduler makes new ones with the new parameters).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, and_, delete, select, update

from headwater.exceptions import DeploymentNotFound
from headwater.schemas.deployments import split_full_name
from headwater.server.db.dialect import json_array_contains
from headwater.server.db.tables import (
    deployment_schedules,
    deployments,
    flow_runs,
    flows,
    work_pools,
    work_queues,
)
from headwater.server.db.text_match import contains_text
from headwater.server.store.flows import ensure_flow
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.deployments import (
        Deployment,
        DeploymentCreate,
        DeploymentFilter,
        DeploymentUpdate,
        ScheduleUpdate,
    )

_NAMESPACE = uuid.UUID("5e0c7a51-8a2f-4c0b-9d3e-0f6a2b7c1d11")
_TIMING_KEYS = ("active", "parameters")
_COLUMNS = (
    *deployments.c,
    flows.c.name.label("flow_name"),
    work_pools.c.name.label("work_pool_name"),
    work_queues.c.name.label("work_queue_name"),
)


def _query() -> Any:
    return (
        select(*_COLUMNS)
        .join(flows, flows.c.id == deployments.c.flow_id)
        .outerjoin(work_pools, work_pools.c.id == deployments.c.work_pool_id)
        .outerjoin(work_queues, work_queues.c.id == deployments.c.work_queue_id)
    )


def schedule_id_for(deployment_id: UUID, timing: dict[str, Any]) -> UUID:
    """Stable id of a schedule: the same timing on the same deployment, the same id."""
    canonical = {k: v for k, v in timing.items() if k not in _TIMING_KEYS}
    return uuid.uuid5(_NAMESPACE, f"{deployment_id}:{json.dumps(canonical, sort_keys=True)}")


# -- apply ------------------------------------------------------------------------------
def apply_deployment(conn: Connection, *, deployment: DeploymentCreate) -> tuple[Deployment, bool]:
    """Create or update the deployment; ``(deployment, created)``."""
    from headwater.server.store import work_pools as pools

    flow_id = ensure_flow(conn, name=deployment.flow_name)
    pool_id = queue_id = None
    if deployment.work_pool_name:
        pool_id = pools.pool_id_by_name(conn, deployment.work_pool_name)
        queue_id = pools.ensure_work_queue(
            conn, pool_id=pool_id, name=deployment.work_queue_name or pools.DEFAULT_QUEUE
        )
    elif deployment.work_queue_name:
        from headwater.exceptions import InvalidOptionError

        raise InvalidOptionError("work_queue_name needs a work_pool_name")
    schedules = [s.to_schedule() for s in deployment.schedules]
    now = time.time()
    values: dict[str, Any] = {
        "description": deployment.description,
        "version": deployment.version,
        "tags": list(deployment.tags),
        "parameters": deployment.parameters,
        "parameter_schema": deployment.parameter_schema,
        "entrypoint": deployment.entrypoint,
        "source": deployment.source,
        "pull_steps": deployment.pull_steps,
        "work_pool_id": pool_id,
        "work_queue_id": queue_id,
        "job_variables": deployment.job_variables,
        "empirical_policy": deployment.empirical_policy.model_dump(exclude_none=True),
        "paused": deployment.paused,
        "concurrency_limit": deployment.concurrency_limit,
        "collision_strategy": deployment.collision_strategy.value,
        "missed_runs": deployment.missed_runs.value,
        "lateness_limit_seconds": deployment.lateness_limit_seconds,
    }
    existing = _row_for_update(conn, flow_id, deployment.name)
    created = existing is None
    changed: dict[str, Any] = {}
    if existing is None:
        deployment_id = new_id()
        from headwater.server.db.dialect import insert_for

        stmt = insert_for(conn, deployments).values(
            id=deployment_id,
            flow_id=flow_id,
            name=deployment.name,
            last_scheduler_pass=None,
            last_polled=None,
            created=now,
            updated=now,
            **values,
        )
        if conn.execute(stmt.on_conflict_do_nothing()).rowcount == 0:  # lost a race
            existing = _row_for_update(conn, flow_id, deployment.name)
            created = False
    if existing is not None:
        deployment_id = existing.id
        changed = {k: v for k, v in values.items() if _differs(getattr(existing, k), v)}
        if changed:
            changed["updated"] = now
            conn.execute(
                update(deployments).where(deployments.c.id == deployment_id).values(**changed)
            )
        # Runs already made carry the old parameters/pool: make them again.
        if {"parameters", "work_pool_id", "work_queue_id", "entrypoint"} & set(changed) or (
            changed.get("paused") is True
        ):
            delete_unstarted_runs(conn, deployment_id=deployment_id)
    _sync_schedules(conn, deployment_id, [s.to_dict() for s in schedules], now)
    if deployment.sla is not None:
        from headwater.server.store.slas import apply_slas

        apply_slas(conn, deployment_id=deployment_id, wanted=deployment.sla)
    if created or changed:
        _emit(conn, "created" if created else "updated", deployment_id, deployment.name)
    return read_deployment(conn, deployment_id=deployment_id), created


def _emit(conn: Connection, what: str, deployment_id: UUID, name: str) -> None:
    from headwater.server.events import domain
    from headwater.server.store import events

    events.record_events(conn, [domain.object_event("deployment", what, deployment_id, name)])


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, UUID) or isinstance(new, UUID):
        return str(old) != str(new) if old is not None and new is not None else old != new
    return old != new


def _row_for_update(conn: Connection, flow_id: UUID, name: str) -> Any:
    query = select(deployments).where(deployments.c.flow_id == flow_id, deployments.c.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _sync_schedules(
    conn: Connection, deployment_id: UUID, wanted: list[dict[str, Any]], now: float
) -> None:
    rows = conn.execute(
        select(deployment_schedules).where(deployment_schedules.c.deployment_id == deployment_id)
    ).all()
    existing = {UUID(str(row.id)): row for row in rows}
    keep: set[UUID] = set()
    for timing in wanted:
        schedule_id = schedule_id_for(deployment_id, timing)
        if schedule_id in keep:
            continue  # the same timing twice: one schedule
        keep.add(schedule_id)
        active, parameters = timing["active"], timing.get("parameters") or {}
        stored = {k: v for k, v in timing.items() if k not in _TIMING_KEYS}
        row = existing.get(schedule_id)
        if row is None:
            conn.execute(
                deployment_schedules.insert().values(
                    id=schedule_id,
                    deployment_id=deployment_id,
                    schedule=stored,
                    active=active,
                    parameters=parameters,
                    created=now,
                    updated=now,
                )
            )
        elif row.active != active or row.parameters != parameters:
            conn.execute(
                update(deployment_schedules)
                .where(deployment_schedules.c.id == schedule_id)
                .values(active=active, parameters=parameters, updated=now)
            )
            delete_unstarted_runs(conn, deployment_id=deployment_id, schedule_ids=[schedule_id])
    gone = [schedule_id for schedule_id in existing if schedule_id not in keep]
    if gone:
        delete_unstarted_runs(conn, deployment_id=deployment_id, schedule_ids=gone)
        conn.execute(delete(deployment_schedules).where(deployment_schedules.c.id.in_(gone)))


def delete_unstarted_runs(
    conn: Connection, *, deployment_id: UUID, schedule_ids: list[UUID] | None = None
) -> int:
    """Delete the deployment's auto-scheduled runs that never started (Scheduled or
    Late, no attempt yet); the scheduler makes them again as the deployment now says."""
    c = flow_runs.c
    where = and_(
        c.deployment_id == deployment_id,
        c.auto_scheduled.is_(True),
        c.state_type == "SCHEDULED",
        c.run_count == 0,
    )
    if schedule_ids is not None:
        where = and_(where, c.schedule_id.in_(schedule_ids))
    return conn.execute(delete(flow_runs).where(where)).rowcount


# -- read -------------------------------------------------------------------------------
def _schemas(conn: Connection, rows: list[Any]) -> list[Deployment]:
    from headwater.core.schedules import schedule_from_dict
    from headwater.schemas.deployments import Deployment, DeploymentSchedule, NextRun

    if not rows:
        return []
    ids = [row.id for row in rows]
    schedules: dict[str, list[Any]] = {}
    for sched in conn.execute(
        select(deployment_schedules)
        .where(deployment_schedules.c.deployment_id.in_(ids))
        .order_by(deployment_schedules.c.created, deployment_schedules.c.id)
    ):
        timing = dict(sched.schedule)
        try:
            description = schedule_from_dict(timing).describe()
        except Exception:  # stored by a newer Headwater: show it raw
            description = json.dumps(timing)
        schedules.setdefault(str(sched.deployment_id), []).append(
            DeploymentSchedule.model_validate(
                {**sched._mapping, "schedule": timing, "description": description}
            )
        )
    upcoming: dict[str, list[Any]] = {}
    c = flow_runs.c
    for run in conn.execute(
        select(c.id, c.name, c.expected_start_time, c.state_name, c.deployment_id)
        .where(c.deployment_id.in_(ids), c.state_type == "SCHEDULED")
        .order_by(c.next_scheduled_start_time, c.id)
        .limit(5 * len(ids) + 50)
    ):
        found = upcoming.setdefault(str(run.deployment_id), [])
        if len(found) < 5:
            data = dict(run._mapping)
            data.pop("deployment_id")
            found.append(NextRun.model_validate(data))
    out = []
    for row in rows:
        data = dict(row._mapping)
        key = str(row.id)
        data["full_name"] = f"{row.flow_name}/{row.name}"
        data["schedules"] = schedules.get(key, [])
        data["next_runs"] = upcoming.get(key, [])
        for drop in ("last_scheduler_pass", "empirical_policy"):
            data.pop(drop, None)
        out.append(Deployment.model_validate(data))
    return out


def read_deployment(conn: Connection, *, deployment_id: UUID) -> Deployment:
    row = conn.execute(_query().where(deployments.c.id == deployment_id)).first()
    if row is None:
        raise DeploymentNotFound(f"deployment {deployment_id} not found")
    return _schemas(conn, [row])[0]


def deployment_row(conn: Connection, *, deployment_id: UUID) -> Any:
    """The stored row (with flow, pool and queue names), for the store's own use."""
    row = conn.execute(_query().where(deployments.c.id == deployment_id)).first()
    if row is None:
        raise DeploymentNotFound(f"deployment {deployment_id} not found")
    return row


def read_deployment_by_name(conn: Connection, *, full_name: str) -> Deployment:
    flow_name, name = split_full_name(full_name)
    row = conn.execute(
        _query().where(flows.c.name == flow_name, deployments.c.name == name)
    ).first()
    if row is None:
        known = conn.execute(
            select(flows.c.name, deployments.c.name)
            .join(flows, flows.c.id == deployments.c.flow_id)
            .order_by(flows.c.name, deployments.c.name)
            .limit(10)
        ).all()
        names = ", ".join(f"{f}/{d}" for f, d in known) or "none yet"
        raise DeploymentNotFound(f"deployment {full_name!r} not found (deployments: {names})")
    return _schemas(conn, [row])[0]


def read_deployments(
    conn: Connection,
    *,
    deployment_filter: DeploymentFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Deployment]:
    query = _query()
    flt = deployment_filter
    if flt is not None:
        if flt.ids is not None:
            query = query.where(deployments.c.id.in_(flt.ids))
        if flt.full_names is not None:
            pairs = [split_full_name(n) for n in flt.full_names]
            from sqlalchemy import false, or_

            query = query.where(
                or_(false(), *(and_(flows.c.name == f, deployments.c.name == d) for f, d in pairs))
            )
        if flt.flow_names is not None:
            query = query.where(flows.c.name.in_(flt.flow_names))
        if flt.names is not None:
            query = query.where(deployments.c.name.in_(flt.names))
        if flt.name_like:
            query = query.where(contains_text(deployments.c.name, flt.name_like))
        for tag in flt.tags_all or ():
            query = query.where(json_array_contains(deployments.c.tags, tag, conn.dialect.name))
        if flt.work_pool_names is not None:
            query = query.where(work_pools.c.name.in_(flt.work_pool_names))
        if flt.paused is not None:
            query = query.where(deployments.c.paused.is_(flt.paused))
    rows = conn.execute(
        query.order_by(flows.c.name, deployments.c.name).limit(limit).offset(offset)
    ).all()
    return _schemas(conn, list(rows))


# -- change -----------------------------------------------------------------------------
def update_deployment(
    conn: Connection, *, deployment_id: UUID, changes: DeploymentUpdate
) -> Deployment:
    row = deployment_row(conn, deployment_id=deployment_id)
    values = changes.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    for key in ("concurrency_limit", "lateness_limit_seconds"):
        if key in values:
            values[key] = values[key] or None
    values = {k: v for k, v in values.items() if getattr(row, k) != v}
    if values:
        values["updated"] = time.time()
        conn.execute(update(deployments).where(deployments.c.id == deployment_id).values(**values))
        if values.get("paused") is True or "parameters" in values:
            delete_unstarted_runs(conn, deployment_id=deployment_id)
        if values.get("paused") is False:  # schedule from now on, not from before the pause
            conn.execute(
                update(deployments)
                .where(deployments.c.id == deployment_id)
                .values(last_scheduler_pass=None)
            )
        from headwater.server.events.domain import pause_change

        _emit(conn, pause_change(values) or "updated", deployment_id, row.name)
    return read_deployment(conn, deployment_id=deployment_id)


def update_schedule(
    conn: Connection, *, deployment_id: UUID, schedule_id: UUID, changes: ScheduleUpdate
) -> Deployment:
    row = conn.execute(
        select(deployment_schedules).where(
            deployment_schedules.c.id == schedule_id,
            deployment_schedules.c.deployment_id == deployment_id,
        )
    ).first()
    if row is None:
        raise DeploymentNotFound(f"schedule {schedule_id} of deployment {deployment_id} not found")
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    values = {k: v for k, v in values.items() if getattr(row, k) != v}
    if values:
        conn.execute(
            update(deployment_schedules)
            .where(deployment_schedules.c.id == schedule_id)
            .values(updated=time.time(), **values)
        )
        delete_unstarted_runs(conn, deployment_id=deployment_id, schedule_ids=[schedule_id])
    return read_deployment(conn, deployment_id=deployment_id)


def delete_deployment(conn: Connection, *, deployment_id: UUID) -> None:
    """Delete a deployment, its schedules and its runs that have not started; the runs
    it made before stay (with their history)."""
    row = deployment_row(conn, deployment_id=deployment_id)
    _emit(conn, "deleted", deployment_id, row.name)
    c = flow_runs.c
    conn.execute(
        delete(flow_runs).where(
            c.deployment_id == deployment_id, c.state_type == "SCHEDULED", c.run_count == 0
        )
    )
    conn.execute(delete(deployments).where(deployments.c.id == deployment_id))
