"""Add, replace and delete one schedule of a deployment (the UI's schedule forms and
``POST/PUT/DELETE /api/deployments/{id}/schedules``).  A schedule's id comes from its
timing (``schedule_id_for``), as when a deployment is applied; re-applying the
deployment's definition (``headwater deploy``) sets its schedules to the definition's
again."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Connection, delete, select, update

from headwater.exceptions import DeploymentNotFound, ObjectAlreadyExists
from headwater.server.db.tables import deployment_schedules
from headwater.server.store.deployments import (
    _TIMING_KEYS,
    delete_unstarted_runs,
    deployment_row,
    read_deployment,
    schedule_id_for,
)

if TYPE_CHECKING:
    from headwater.schemas.deployments import Deployment, ScheduleCreate


def _row(conn: Connection, deployment_id: UUID, schedule_id: UUID) -> object:
    row = conn.execute(
        select(deployment_schedules.c.id).where(
            deployment_schedules.c.id == schedule_id,
            deployment_schedules.c.deployment_id == deployment_id,
        )
    ).first()
    if row is None:
        raise DeploymentNotFound(f"schedule {schedule_id} of deployment {deployment_id} not found")
    return row


def _insert(conn: Connection, deployment_id: UUID, schedule: ScheduleCreate) -> UUID:
    timing = schedule.to_schedule().to_dict()  # InvalidOptionError in one line
    schedule_id = schedule_id_for(deployment_id, timing)
    taken = conn.execute(
        select(deployment_schedules.c.id).where(deployment_schedules.c.id == schedule_id)
    ).first()
    if taken is not None:
        raise ObjectAlreadyExists("the deployment has a schedule with this timing already")
    now = time.time()
    conn.execute(
        deployment_schedules.insert().values(
            id=schedule_id,
            deployment_id=deployment_id,
            schedule={k: v for k, v in timing.items() if k not in _TIMING_KEYS},
            active=timing["active"],
            parameters=timing.get("parameters") or {},
            created=now,
            updated=now,
        )
    )
    return schedule_id


def add_schedule(conn: Connection, *, deployment_id: UUID, schedule: ScheduleCreate) -> Deployment:
    """One more schedule; the scheduler makes its runs on its next pass."""
    deployment_row(conn, deployment_id=deployment_id)
    _insert(conn, deployment_id, schedule)
    return read_deployment(conn, deployment_id=deployment_id)


def delete_schedule(conn: Connection, *, deployment_id: UUID, schedule_id: UUID) -> Deployment:
    """Delete a schedule with its runs that have not started."""
    _row(conn, deployment_id, schedule_id)
    delete_unstarted_runs(conn, deployment_id=deployment_id, schedule_ids=[schedule_id])
    conn.execute(delete(deployment_schedules).where(deployment_schedules.c.id == schedule_id))
    return read_deployment(conn, deployment_id=deployment_id)


def replace_schedule(
    conn: Connection, *, deployment_id: UUID, schedule_id: UUID, schedule: ScheduleCreate
) -> Deployment:
    """Change a schedule's timing (and on/off, parameters): its unstarted runs go, the
    scheduler makes the new timing's.  The same timing only updates the flags."""
    _row(conn, deployment_id, schedule_id)
    timing = schedule.to_schedule().to_dict()
    delete_unstarted_runs(conn, deployment_id=deployment_id, schedule_ids=[schedule_id])
    if schedule_id_for(deployment_id, timing) == schedule_id:
        conn.execute(
            update(deployment_schedules)
            .where(deployment_schedules.c.id == schedule_id)
            .values(
                active=timing["active"],
                parameters=timing.get("parameters") or {},
                updated=time.time(),
            )
        )
    else:
        conn.execute(delete(deployment_schedules).where(deployment_schedules.c.id == schedule_id))
        _insert(conn, deployment_id, schedule)
    return read_deployment(conn, deployment_id=deployment_id)
