"""Automations and the actions they decide.

An automation's firing records its actions (``automation_actions``, status
``pending``) in one write transaction; the action runner then does each and marks it
``delivered``, or retries it with backoff (``failed`` after ``MAX_ATTEMPTS``).  A server
that stops in between does the pending actions when it starts again.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, select, update

from headwater.exceptions import AutomationNotFound
from headwater.schemas.automations import AutomationCore, AutomationRead
from headwater.server.db.tables import automation_actions, automations
from headwater.utilities.ids import new_id

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 60.0
#: A claimed action not finished in this long is claimed again (its runner died).
#: Longer than any backoff, so a claim is told apart from a retry that waits.
CLAIM_SECONDS = 120.0


def _read(row: Any) -> AutomationRead:
    return AutomationRead.model_validate(dict(row._mapping))


def create_automation(conn: Connection, *, automation: AutomationCore) -> AutomationRead:
    now = time.time()
    automation_id = new_id()
    conn.execute(
        automations.insert().values(
            id=automation_id, created=now, updated=now, **automation.model_dump(mode="json")
        )
    )
    return read_automation(conn, automation_id=automation_id)


def read_automation(conn: Connection, *, automation_id: UUID) -> AutomationRead:
    row = conn.execute(select(automations).where(automations.c.id == automation_id)).first()
    if row is None:
        raise AutomationNotFound(f"automation {automation_id} not found")
    return _read(row)


def read_automations(
    conn: Connection, *, name: str | None = None, limit: int = 200, offset: int = 0
) -> list[AutomationRead]:
    query = select(automations).order_by(automations.c.name, automations.c.id)
    if name is not None:
        query = query.where(automations.c.name == name)
    return [_read(row) for row in conn.execute(query.limit(limit).offset(offset))]


def enabled_automations(conn: Connection) -> list[AutomationRead]:
    query = select(automations).where(automations.c.enabled.is_(True))
    return [_read(row) for row in conn.execute(query)]


def update_automation(
    conn: Connection, *, automation_id: UUID, automation: AutomationCore
) -> AutomationRead:
    read_automation(conn, automation_id=automation_id)
    conn.execute(
        update(automations)
        .where(automations.c.id == automation_id)
        .values(updated=time.time(), **automation.model_dump(mode="json"))
    )
    return read_automation(conn, automation_id=automation_id)


def set_enabled(conn: Connection, *, automation_id: UUID, enabled: bool) -> AutomationRead:
    read_automation(conn, automation_id=automation_id)
    conn.execute(
        update(automations)
        .where(automations.c.id == automation_id)
        .values(enabled=enabled, updated=time.time())
    )
    return read_automation(conn, automation_id=automation_id)


def delete_automation(conn: Connection, *, automation_id: UUID) -> None:
    read_automation(conn, automation_id=automation_id)
    conn.execute(delete(automations).where(automations.c.id == automation_id))


def last_change(conn: Connection) -> tuple[int, float]:
    """(how many automations, their latest ``updated``): the service reloads when it moves."""
    from sqlalchemy import func

    count, latest = conn.execute(
        select(func.count(), func.max(automations.c.updated)).select_from(automations)
    ).one()
    return int(count), float(latest or 0.0)


# -- actions ----------------------------------------------------------------------------
def record_firing(
    conn: Connection,
    *,
    automation_id: UUID,
    actions: list[dict[str, Any]],
    context: dict[str, Any],
) -> UUID:
    """Record the actions of one firing (pending); the firing's id."""
    firing_id = new_id()
    now = time.time()
    rows = [
        {
            "id": new_id(),
            "automation_id": automation_id,
            "firing_id": firing_id,
            "action_index": index,
            "action": action,
            "context": context,
            "status": "pending",
            "attempts": 0,
            "next_attempt": now,
            "last_error": None,
            "created": now,
            "updated": now,
        }
        for index, action in enumerate(actions)
    ]
    if rows:
        conn.execute(automation_actions.insert(), rows)
    return firing_id


def claim_due_actions(conn: Connection, *, now: float, limit: int = 50) -> list[dict[str, Any]]:
    """Pending actions due now, claimed for ``CLAIM_SECONDS`` (oldest first)."""
    c = automation_actions.c
    query = (
        select(automation_actions)
        .where(c.status == "pending", c.next_attempt <= now)
        .order_by(c.next_attempt, c.created, c.action_index)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if rows:
        conn.execute(
            update(automation_actions)
            .where(c.id.in_([r["id"] for r in rows]))
            .values(next_attempt=now + CLAIM_SECONDS, updated=now)
        )
    return rows


def finish_action(
    conn: Connection,
    *,
    action_id: UUID,
    attempts: int,
    error: str | None,
    now: float,
    retry: bool = True,
) -> str:
    """Mark an action delivered, or due again with backoff (``failed`` at the last
    attempt, or at once with ``retry=False``: it can never succeed); its new status."""
    if error is None:
        status, next_attempt = "delivered", now
    elif attempts >= MAX_ATTEMPTS or not retry:
        status, next_attempt = "failed", now
    else:
        status, next_attempt = "pending", now + min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (attempts - 1))
    conn.execute(
        update(automation_actions)
        .where(automation_actions.c.id == action_id)
        .values(
            status=status,
            attempts=attempts,
            next_attempt=next_attempt,
            last_error=error,
            updated=now,
        )
    )
    return status


def release_claims(conn: Connection, *, now: float) -> int:
    """Make actions claimed by a runner that is gone due now (a runner starting after a
    crash calls this: what the dead process was doing is done again, with the same
    idempotency key)."""
    c = automation_actions.c
    result = conn.execute(
        update(automation_actions)
        .where(c.status == "pending", c.next_attempt > now + MAX_BACKOFF_SECONDS)
        .values(next_attempt=now, updated=now)
    )
    return int(result.rowcount or 0)


def next_due(conn: Connection) -> float | None:
    c = automation_actions.c
    return conn.execute(
        select(c.next_attempt).where(c.status == "pending").order_by(c.next_attempt).limit(1)
    ).scalar()


def read_actions(conn: Connection, *, automation_id: UUID, limit: int = 100) -> list[Any]:
    c = automation_actions.c
    query = (
        select(automation_actions)
        .where(c.automation_id == automation_id)
        .order_by(c.created.desc(), c.action_index)
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(query)]
