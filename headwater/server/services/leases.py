"""Expired leases: delete the rows of leases whose holders stopped renewing them (they
already count for nothing) and of waiters that stopped waiting, and wake the waiters
of what was freed.  A cheap read first: no write transaction when nothing expired."""

from __future__ import annotations

import time

from sqlalchemy import select

from headwater.server.db.database import Database
from headwater.server.db.tables import lease_waiters, leases
from headwater.server.store.leases import expire


def run_once(db: Database, now: float | None = None) -> int:
    """Expire what is due; how many lease rows went."""
    now = now if now is not None else time.time()
    with db.begin_read() as conn:
        due = (
            conn.execute(select(leases.c.id).where(leases.c.expires <= now).limit(1)).first()
            or conn.execute(
                select(lease_waiters.c.id).where(lease_waiters.c.expires <= now).limit(1)
            ).first()
        )
    if due is None:
        return 0
    with db.begin_write() as conn:
        return expire(conn, now=now)
