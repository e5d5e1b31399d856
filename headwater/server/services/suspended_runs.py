"""Suspended runs that time out: a run suspended by ``suspend_flow_run`` has no
process waiting for it, so this service ends it Failed once its pause timeout has
passed without a resume (a Paused run whose process waits times itself out)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from headwater.server.db.database import Database
from headwater.server.db.tables import flow_runs
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.states import Failed, StateDetails

UTC = dt.timezone.utc
BATCH = 500


def run_once(db: Database, now: float | None = None) -> int:
    """End Failed the Suspended runs whose pause timeout has passed; how many."""
    now_dt = dt.datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    c = flow_runs.c
    ended = 0
    with db.begin_write() as conn:
        rows = conn.execute(
            select(c.id, c.state_details)
            .where(c.state_type == "PAUSED", c.state_name == "Suspended")
            .limit(BATCH)
        ).all()
        for row in rows:
            expires = StateDetails.from_dict(row.state_details).pause_timeout
            if expires is None or expires > now_dt:
                continue
            message = "the flow run was suspended and not resumed before its timeout"
            set_flow_run_state(conn, flow_run_id=row.id, state=Failed(message=message), force=True)
            ended += 1
    return ended
