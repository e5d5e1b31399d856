"""Zombie runs: a run whose process stopped heartbeating is Crashed.

Runs started by a worker or a serve process (``python -m headwater.engine``)
heartbeat every ``HEADWATER_HEARTBEAT_SECONDS``; one silent for
``HEADWATER_ZOMBIE_AFTER_SECONDS`` (a killed process, a lost machine) ends Crashed,
which frees its concurrency slots, and with flow retries left is scheduled again.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from headwater.server.db.database import Database
from headwater.server.db.tables import flow_runs
from headwater.server.store.run_control import crash_flow_run
from headwater.settings import get_settings

BATCH = 500


def run_once(db: Database, now: float | None = None) -> int:
    """Crash runs whose heartbeat stopped; how many."""
    now = now if now is not None else time.time()
    after = get_settings().zombie_after_seconds
    c = flow_runs.c
    with db.begin_write() as conn:
        ids = conn.execute(
            select(c.id)
            .where(
                c.state_type.in_(("PENDING", "RUNNING")),
                c.heartbeat.is_not(None),
                c.heartbeat < now - after,
            )
            .limit(BATCH)
        ).scalars()
        found = list(ids)
        for run_id in found:
            crash_flow_run(
                conn,
                flow_run_id=run_id,
                message=f"the flow run's process stopped sending heartbeats (none for {after:g} s)",
                now=now,
            )
    return len(found)
