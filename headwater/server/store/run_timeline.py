"""The Gantt timeline of a flow run's task runs, aggregated so that it stays small.

A run with 10,000 task runs would need 10,000 bars: nobody can read them and the
browser pays for every node.  So the timeline has one *lane per task* (its
``task_key``: every call of the same ``@task``), at most ``max_lanes`` of them (the
rest are folded into one "+N more" lane), and in each lane the runs that ended in
the same state are *merged into spans* wherever they overlap or lie closer than
``resolution`` of the whole run's length.  The number of spans is then bounded by
lanes * states * 1 / resolution, whatever the number of task runs; if a pathological
run still makes more than ``max_spans``, the resolution is coarsened until it fits.

Geometry (x and width in the SVG's user units) is computed here, so the template
only prints numbers and the browser draws a few hundred rectangles.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypedDict
from uuid import UUID

from sqlalchemy import Connection, Integer, bindparam, cast, func, select

from headwater.server.db.tables import task_runs

#: SVG user units: the lane labels on the left, then the chart.
LABEL_WIDTH = 220.0
CHART_WIDTH = 960.0
LANE_HEIGHT = 22.0
AXIS_HEIGHT = 24.0
MIN_SPAN_WIDTH = 1.5

#: Drawing order: the common outcome first, failures last so they are on top.
PAINT_ORDER = (
    "COMPLETED",
    "SCHEDULED",
    "PENDING",
    "PAUSED",
    "RUNNING",
    "CANCELLING",
    "CANCELLED",
    "CRASHED",
    "FAILED",
)

_C = task_runs.c
_BEGIN = func.coalesce(_C.start_time, _C.created)
#: A run not ended yet is drawn up to its last change (a running one: up to now).
_END = func.coalesce(_C.end_time, _C.state_timestamp)
_RUN = _C.flow_run_id == bindparam("flow_run_id")
_BOUNDS = select(func.min(_BEGIN), func.max(_END), func.count()).where(_RUN)
_RUNNING = select(_C.id).where(_RUN, _C.state_type == "RUNNING").limit(1)
#: Runs grouped by task, state and the slot (of width ``gap``) they start in: at most
#: lanes * states * 1 / resolution rows, however many task runs there are.
_SLOT = cast((_BEGIN - bindparam("t0")) / bindparam("gap"), Integer)
_SLOTS = (
    select(_C.task_key, _C.state_type, func.min(_BEGIN), func.max(_END), func.count())
    .where(_RUN)
    .group_by(_C.task_key, _C.state_type, _SLOT)
)


class Span(TypedDict):
    x: float
    width: float
    state: str
    runs: int
    start: float
    end: float


class Lane(TypedDict):
    label: str
    runs: int
    states: dict[str, int]
    spans: list[Span]
    y: float


class Tick(TypedDict):
    x: float
    offset: float


class Timeline(TypedDict):
    start: float
    end: float
    task_runs: int
    lanes: list[Lane]
    hidden_lanes: int
    ticks: list[Tick]
    width: float
    height: float
    label_width: float
    lane_height: float
    spans: int
    counts: dict[str, int]


def task_label(task_key: str) -> str:
    """``fetch-1a2b3c4d`` → ``fetch`` (the key ends with a digest of where it is defined)."""
    name, sep, digest = task_key.rpartition("-")
    return name if sep and len(digest) == 8 else task_key


def read_timeline(
    conn: Connection,
    *,
    flow_run_id: UUID,
    now: float | None = None,
    max_lanes: int = 30,
    resolution: float = 1 / 480,
    max_spans: int = 1500,
    window: tuple[float, float] | None = None,
) -> Timeline | None:
    """The run's task runs as lanes of merged spans; None when it has no task runs.

    A task run that has not ended is drawn up to ``now`` if it is running.
    ``window`` (the flow run's start and end, when known) saves a pass over the
    task runs: it only sizes the slots they are grouped in; the drawn extent is
    always that of the task runs themselves."""
    now = now if now is not None else time.time()
    if window is None or window[1] <= window[0]:
        params = {"flow_run_id": flow_run_id}
        t0, t1, total = conn.execute(_BOUNDS, params).one()
        if not total:
            return None
        running = conn.execute(_RUNNING, params).first() is not None
        window = (t0, max(now if running else t1, t0))
    guess = max(window[1] - window[0], 1e-3)
    slots = _read_slots(conn, flow_run_id, window[0], guess * resolution, now)
    if slots.groups > 4 * max_spans and slots.t1 - slots.t0 > 2 * guess:
        # The window was a bad guess (task runs outside the flow run's times): group
        # again on the task runs' own extent.
        extent = max(slots.t1 - slots.t0, 1e-3)
        slots = _read_slots(conn, flow_run_id, slots.t0, extent * resolution, now)
    if not slots.total:
        return None
    intervals, first_start, counts = slots.intervals, slots.first_start, slots.counts
    t0, t1, total = slots.t0, slots.t1, slots.total
    length = max(t1 - t0, 1e-3)
    order = sorted(intervals, key=lambda k: (first_start[k], k))
    shown, folded = order, []
    if len(order) > max_lanes:
        shown, folded = order[: max_lanes - 1], order[max_lanes - 1 :]
    groups: list[tuple[str, list[str]]] = [(task_label(k), [k]) for k in shown]
    if folded:
        groups.append((f"+{len(folded):,} more tasks", folded))
    gap = length * resolution
    while True:
        lanes = [
            _lane(label, keys, intervals, t0, length, gap, i)
            for i, (label, keys) in enumerate(groups)
        ]
        spans = sum(len(lane["spans"]) for lane in lanes)
        if spans <= max_spans:
            break
        gap *= 2
    return {
        "start": t0,
        "end": t1,
        "task_runs": total,
        "lanes": lanes,
        "hidden_lanes": len(folded),
        "ticks": _ticks(length),
        "width": LABEL_WIDTH + CHART_WIDTH,
        "height": AXIS_HEIGHT + LANE_HEIGHT * len(lanes) + 4,
        "label_width": LABEL_WIDTH,
        "lane_height": LANE_HEIGHT,
        "spans": spans,
        "counts": dict(counts),
    }


@dataclass
class _Slots:
    intervals: dict[str, dict[str, list[tuple[float, float, int]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    first_start: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    t0: float = math.inf
    t1: float = -math.inf
    total: int = 0
    groups: int = 0


def _read_slots(conn: Connection, flow_run_id: UUID, t0: float, gap: float, now: float) -> _Slots:
    """The run's task runs grouped by task, state and start slot (``gap`` wide)."""
    out = _Slots()
    params = {"flow_run_id": flow_run_id, "t0": t0, "gap": gap}
    for key, state, begin, end, runs in conn.execute(_SLOTS, params):
        end = max(end, begin, now if state == "RUNNING" else begin)
        out.intervals[key][state].append((begin, end, runs))
        if begin < out.first_start.get(key, math.inf):
            out.first_start[key] = begin
        out.counts[state] += runs
        out.total += runs
        out.groups += 1
        out.t0, out.t1 = min(out.t0, begin), max(out.t1, end)
    return out


def _lane(
    label: str,
    keys: list[str],
    intervals: dict[str, dict[str, list[tuple[float, float, int]]]],
    t0: float,
    length: float,
    gap: float,
    index: int,
) -> Lane:
    by_state: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for key in keys:
        for state, items in intervals[key].items():
            by_state[state].extend(items)
    states = {state: sum(n for _, _, n in items) for state, items in by_state.items()}
    spans: list[Span] = []
    rank = {state: i for i, state in enumerate(PAINT_ORDER)}
    for state in sorted(by_state, key=lambda s: rank.get(s, len(rank))):
        for start, end, runs in _merge(by_state[state], gap):
            x = LABEL_WIDTH + (start - t0) / length * CHART_WIDTH
            width = max((end - start) / length * CHART_WIDTH, MIN_SPAN_WIDTH)
            x = min(x, LABEL_WIDTH + CHART_WIDTH - width)
            spans.append(
                {
                    "x": round(x, 1),
                    "width": round(width, 1),
                    "state": state,
                    "runs": runs,
                    "start": start,
                    "end": end,
                }
            )
    return {
        "label": label,
        "runs": sum(states.values()),
        "states": states,
        "spans": spans,
        "y": AXIS_HEIGHT + index * LANE_HEIGHT,
    }


def _merge(items: list[tuple[float, float, int]], gap: float) -> list[tuple[float, float, int]]:
    """(start, end, runs) groups joined where they overlap or are less than ``gap`` apart."""
    items.sort()
    merged: list[tuple[float, float, int]] = []
    start, end, runs = items[0]
    for begin, finish, n in items[1:]:
        if begin <= end + gap:
            end = max(end, finish)
            runs += n
        else:
            merged.append((start, end, runs))
            start, end, runs = begin, finish, n
    merged.append((start, end, runs))
    return merged


_STEPS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip


def _ticks(length: float, wanted: int = 8) -> list[Tick]:
    """Axis ticks at a round step, about ``wanted`` of them, as offsets from the start."""
    step = next((s for s in _STEPS if length / s <= wanted), _STEPS[-1])
    count = int(length / step)
    return [
        {"x": round(LABEL_WIDTH + i * step / length * CHART_WIDTH, 1), "offset": i * step}
        for i in range(count + 1)
    ]
