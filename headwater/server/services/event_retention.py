"""Event retention: delete events that occurred more than
``HEADWATER_EVENTS_RETENTION_DAYS`` ago (a cheap read first: no write transaction
when there is nothing to delete)."""

from __future__ import annotations

import time

from sqlalchemy import select

from headwater.server.db.database import Database
from headwater.server.db.tables import events
from headwater.server.store.events import delete_events_before
from headwater.settings import get_settings


def run_once(db: Database, now: float | None = None) -> int:
    """Delete what is too old; how many events went."""
    now = now if now is not None else time.time()
    cutoff = now - get_settings().events_retention_days * 86400
    with db.begin_read() as conn:
        due = conn.execute(select(events.c.id).where(events.c.occurred < cutoff).limit(1)).first()
    if due is None:
        return 0
    with db.begin_write() as conn:
        return delete_events_before(conn, occurred=cutoff)
