"""A fresh concurrency limit in a store, for the tests that drive the store directly."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from headwater.schemas.concurrency import ConcurrencyLimitCreate
from headwater.server.db.database import Database
from headwater.server.store import concurrency_limits as store


def new_limit(db: Database, limit: int) -> tuple[str, uuid.UUID]:
    """A limit with a name of its own: its name and id."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    with db.begin_write() as conn:
        created = store.create_limit(conn, limit=ConcurrencyLimitCreate(name=name, limit=limit))
    return name, created.id


def work(statements: list[str]) -> list[str]:
    """The statements other than the transaction's own (BEGIN, COMMIT, pings)."""
    return [
        sql
        for sql in statements
        if not sql.strip().upper().startswith(("BEGIN", "SELECT 1", "COMMIT"))
    ]


def waiting(db: Database, pid: int) -> bool:
    """Is PostgreSQL backend ``pid`` waiting on a lock?"""
    with db.begin_read() as conn:
        found = conn.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
    return found == "Lock"
