"""The timeline of a flow run, one bar per task run (every call, not folded per
task), each split into the segments of its attempts when it was retried.

A bar is ``[id, name, state, start, end, run_count, segments]``; ``segments`` is
``[[start, end, state], ...]`` (one per attempt: Running up to what ended it) for
a retried run and empty otherwise.  Task runs that have not started are counted,
not drawn.  Times are epoch seconds; the browser scales them."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, LargeBinary, Text, case, cast, func, select, type_coerce

from headwater.exceptions import ObjectNotFound
from headwater.server.db.tables import flow_runs, task_runs
from headwater.server.store.run_graph import gc_paused, id_texts

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
            type_coerce(_C.id, LargeBinary).label("id"),  # formatted by id_texts
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
    with gc_paused():
        return _bars(conn.execute(query).all(), run.state_type, now, max_bars)


def _bars(rows: Sequence[Any], state: str, now: float, max_bars: int) -> dict[str, Any]:
    bars: list[list[Any]] = []
    not_started = 0
    t0, t1 = float("inf"), float("-inf")
    shown = rows[:max_bars]
    ids = id_texts([row.id for row in shown])
    for row, row_id in zip(shown, ids, strict=True):
        if row.start_time is None:
            not_started += 1
            continue
        end = now if row.state_type == "RUNNING" else max(row.end, row.start_time)
        segments = _segments(row.transitions, end) if row.run_count > 1 else []
        bars.append(
            [row_id, row.name, row.state_type, row.start_time, end, row.run_count, segments]
        )
        t0, t1 = min(t0, row.start_time), max(t1, end)
    return {
        "state": state,
        "final": state in FINAL_TYPES,
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
