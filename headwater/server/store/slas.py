"""SLAs of deployments: stored per deployment (unique by name), replaced as a set when
a deployment is applied with ``sla=``, and their breaches (one row each, so a breach
emits its event once)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, select, update

from headwater.exceptions import DeploymentNotFound, SlaNotFound
from headwater.schemas.slas import Sla, SlaCreate
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import deployments, sla_breaches, slas
from headwater.utilities.ids import new_id


def _read(row: Any) -> Sla:
    return Sla.model_validate(dict(row._mapping))


def _check_deployment(conn: Connection, deployment_id: UUID) -> None:
    found = conn.execute(select(deployments.c.id).where(deployments.c.id == deployment_id))
    if found.first() is None:
        raise DeploymentNotFound(f"deployment {deployment_id} not found")


def read_slas(conn: Connection, *, deployment_id: UUID) -> list[Sla]:
    _check_deployment(conn, deployment_id)
    query = select(slas).where(slas.c.deployment_id == deployment_id).order_by(slas.c.name)
    return [_read(row) for row in conn.execute(query)]


def create_sla(conn: Connection, *, deployment_id: UUID, sla: SlaCreate) -> Sla:
    """Create the SLA, or replace the deployment's SLA of the same name."""
    _check_deployment(conn, deployment_id)
    return _put(conn, deployment_id, sla, time.time())


def _put(conn: Connection, deployment_id: UUID, sla: SlaCreate, now: float) -> Sla:
    values = sla.model_dump(mode="json")
    row = conn.execute(
        select(slas).where(slas.c.deployment_id == deployment_id, slas.c.name == sla.name)
    ).first()
    if row is None:
        sla_id = new_id()
        conn.execute(
            slas.insert().values(
                id=sla_id, deployment_id=deployment_id, created=now, updated=now, **values
            )
        )
    else:
        sla_id = row.id
        if any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(slas).where(slas.c.id == sla_id).values(updated=now, **values))
    return _read(conn.execute(select(slas).where(slas.c.id == sla_id)).one())


def apply_slas(conn: Connection, *, deployment_id: UUID, wanted: list[SlaCreate]) -> list[Sla]:
    """Make the deployment's SLAs exactly ``wanted`` (kept by name: an unchanged SLA
    keeps its id and its breaches)."""
    now = time.time()
    kept = [_put(conn, deployment_id, sla, now) for sla in wanted]
    names = [sla.name for sla in wanted]
    stale = delete(slas).where(slas.c.deployment_id == deployment_id)
    if names:
        stale = stale.where(slas.c.name.not_in(names))
    conn.execute(stale)
    return sorted(kept, key=lambda s: s.name)


def delete_sla(conn: Connection, *, deployment_id: UUID, sla_id: UUID) -> None:
    _check_deployment(conn, deployment_id)
    gone = conn.execute(
        delete(slas).where(slas.c.deployment_id == deployment_id, slas.c.id == sla_id)
    ).rowcount
    if not gone:
        raise SlaNotFound(f"deployment {deployment_id} has no SLA {sla_id}")


def enabled_slas(conn: Connection) -> list[dict[str, Any]]:
    """Every enabled SLA with its deployment's name and flow (the monitor's list)."""
    query = (
        select(slas, deployments.c.name.label("deployment_name"), deployments.c.flow_id)
        .join(deployments, deployments.c.id == slas.c.deployment_id)
        .where(slas.c.enabled.is_(True))
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def last_change(conn: Connection) -> tuple[int, float]:
    """(how many SLAs, their latest ``updated``): the monitor reloads when it moves."""
    from sqlalchemy import func

    count, latest = conn.execute(select(func.count(), func.max(slas.c.updated))).one()
    return int(count), float(latest or 0.0)


def record_breach(
    conn: Connection, *, sla_id: UUID, key: str, flow_run_id: UUID | None, now: float
) -> bool:
    """Note a breach; False when it was noted before (by this or another process)."""
    stmt = (
        insert_for(conn, sla_breaches)
        .values(id=new_id(), sla_id=sla_id, key=key, flow_run_id=flow_run_id, occurred=now)
        .on_conflict_do_nothing()
    )
    return bool(conn.execute(stmt).rowcount)


def breach_keys(conn: Connection, *, sla_id: UUID, keys: list[str]) -> set[str]:
    """Which of ``keys`` are noted breaches of the SLA."""
    if not keys:
        return set()
    query = select(sla_breaches.c.key).where(
        sla_breaches.c.sla_id == sla_id, sla_breaches.c.key.in_(keys)
    )
    return {row[0] for row in conn.execute(query)}
