"""Late runs: a Scheduled run not started ``HEADWATER_LATE_AFTER_SECONDS`` after it
was due gets the state name Late (still a SCHEDULED state: it runs when claimed)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from headwater.server.db.database import Database
from headwater.server.db.tables import flow_runs
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.settings import get_settings
from headwater.states import Late

UTC = dt.timezone.utc
BATCH = 500


def run_once(db: Database, now: float | None = None) -> int:
    """Mark overdue Scheduled runs Late; how many were marked."""
    now = now if now is not None else time.time()
    cutoff = now - get_settings().late_after_seconds
    c = flow_runs.c
    with db.begin_write() as conn:
        rows = conn.execute(
            select(c.id, c.next_scheduled_start_time)
            .where(
                c.state_type == "SCHEDULED",
                c.state_name == "Scheduled",
                c.next_scheduled_start_time < cutoff,
            )
            .limit(BATCH)
        ).all()
        for row in rows:
            when = dt.datetime.fromtimestamp(row.next_scheduled_start_time, UTC)
            set_flow_run_state(conn, flow_run_id=row.id, state=Late(when))
    return len(rows)
