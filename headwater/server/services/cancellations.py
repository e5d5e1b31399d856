"""Cancellations that no process will finish: a Cancelling run that no worker or
serve process owns, or whose process stopped heartbeating, ends Cancelled; the
unfinished subflows of a cancelled run are cancelled too."""

from __future__ import annotations

import time

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from headwater.server.db.database import Database
from headwater.server.db.tables import flow_runs
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.server.store.run_control import FINAL, cancel_flow_run
from headwater.settings import get_settings
from headwater.states import Cancelled

BATCH = 500


def run_once(db: Database, now: float | None = None) -> int:
    """Finish orphaned cancellations; how many runs changed."""
    now = now if now is not None else time.time()
    after = get_settings().zombie_after_seconds
    c = flow_runs.c
    changed = 0
    with db.begin_write() as conn:
        orphans = conn.execute(
            select(c.id)
            .where(
                c.state_type == "CANCELLING",
                or_(
                    and_(c.worker_name.is_(None), c.heartbeat.is_(None)),
                    c.heartbeat < now - after,
                ),
            )
            .limit(BATCH)
        ).scalars()
        for run_id in list(orphans):
            set_flow_run_state(
                conn,
                flow_run_id=run_id,
                state=Cancelled(message="cancelled (no process was running it)"),
                force=True,
            )
            changed += 1
        parent = aliased(flow_runs)
        children = conn.execute(
            select(c.id)
            .join(parent, parent.c.id == c.parent_flow_run_id)
            .where(
                parent.c.state_type.in_(("CANCELLED", "CANCELLING")),
                c.state_type.not_in((*FINAL, "CANCELLING")),
            )
            .limit(BATCH)
        ).scalars()
        for run_id in list(children):
            cancel_flow_run(conn, flow_run_id=run_id, message="its parent run was cancelled")
            changed += 1
    return changed
