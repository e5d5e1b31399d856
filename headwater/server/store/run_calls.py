"""The timeline of a flow run, one bar per task run (every call, not folded per
task), each split into the segments of its attempts when it was retried.

A bar is ``[id, name, state, start, end, run_count, segments]``; ``segments`` is
``[[start, end, state], ...]`` (one per attempt: Running up to what ended it) for
a retried run and empty otherwise.  Task runs that have not started are counted,
not drawn.  Times are epoch seconds; the browser scales them."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Text, case, cast, func, select

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import flow_runs, task_runs

#: At most this many bars (the earliest started); more says ``truncated``.
MAX_BARS = 50_000
FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
_C = task_runs.c


def read_run_calls(
    conn: Connection, *, flow_run_id: UUID, now: float | None = None, max_bars: int = MAX_BARS
) -> dict[str, Any]:
    """``{"state", "final", "start", "end", "bars", "not_started", "truncated"}``."""
    now = now if now is not None else time.time()
    run = conn.execute(select(flow_runs.c.state_type).where(flow_runs.c.id == flow_run_id)).first()
    if run is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    query = (
        select(
            _C.id,
            _C.name,
            _C.state_type,
            _C.start_time,
            func.coalesce(_C.end_time, _C.state_timestamp).label("end"),
            _C.run_count,
            # Only a retried run's history is read (and decoded).
            case((_C.run_count > 1, cast(_C.transitions, Text)), else_=None).label("transitions"),
        )
        .where(_C.flow_run_id == flow_run_id)
        .order_by(_C.start_time, _C.id)
        .limit(max_bars + 1)
    )
    bars: list[list[Any]] = []
    not_started = 0
    t0, t1 = float("inf"), float("-inf")
    rows = conn.execute(query).all()
    for row in rows[:max_bars]:
        if row.start_time is None:
            not_started += 1
            continue
        end = now if row.state_type == "RUNNING" else max(row.end, row.start_time)
        segments = _segments(row.transitions, end) if row.run_count > 1 else []
        bars.append(
            [str(row.id), row.name, row.state_type, row.start_time, end, row.run_count, segments]
        )
        t0, t1 = min(t0, row.start_time), max(t1, end)
    return {
        "state": run.state_type,
        "final": run.state_type in FINAL_TYPES,
        "start": t0 if bars else None,
        "end": t1 if bars else None,
        "bars": bars,
        "not_started": not_started,
        "truncated": len(rows) > max_bars,
    }


def _segments(transitions: Any, end: float) -> list[list[Any]]:
    """Each attempt: from a Running transition to the next transition (the state
    that ended it); one still going ends at ``end``."""
    if isinstance(transitions, str):
        transitions = json.loads(transitions)
    segments: list[list[Any]] = []
    opened: float | None = None
    for kind, _name, ts, *_ in transitions or []:
        if opened is not None:
            segments.append([opened, ts, kind])
            opened = None
        if kind == "RUNNING":
            opened = ts
    if opened is not None:
        segments.append([opened, end, "RUNNING"])
    return segments
