"""``/``: the dashboard — flow runs and task runs by state in a window, runs over
time (the axis in the browser's time zone), recent failures, late runs, and the work
pools with their workers' health.  The page refreshes its figures every
``REFRESH_SECONDS`` while it is visible (``static/js/dashboard.js``).

Every figure is an aggregate computed by the database (``store/run_stats.py``), so
the page costs a few indexed queries whatever the number of runs in the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from headwater.server.ui.registry import ui_page
from headwater.server.ui.templating import format_time

ui = ui_page("dashboard", nav="Dashboard", href="/", order=10)
router = ui.router


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    seconds: float
    buckets: int


WINDOWS = {
    w.key: w
    for w in (
        Window("1h", "Last hour", 3600.0, 12),  # 5-minute bars
        Window("24h", "Last 24 hours", 86_400.0, 24),  # hourly bars
        Window("7d", "Last 7 days", 7 * 86_400.0, 28),  # 6-hour bars
    )
}
DEFAULT_WINDOW = "24h"

#: Bottom to top in a stacked bar; the summary cards use the same order.
STACK_ORDER = (
    "COMPLETED",
    "FAILED",
    "CRASHED",
    "CANCELLED",
    "CANCELLING",
    "PAUSED",
    "RUNNING",
    "PENDING",
    "SCHEDULED",
)
CHART_WIDTH, CHART_HEIGHT, AXIS = 720.0, 180.0, 24.0
REFRESH_SECONDS = 10


def _bars(buckets: list[Any], window: Window) -> dict[str, Any]:
    """The chart's geometry: one stacked bar per bucket, each segment with its class."""
    peak = max((b.total for b in buckets), default=0) or 1
    slot = CHART_WIDTH / len(buckets)
    scale = (CHART_HEIGHT - 4) / peak
    bars = []
    for i, bucket in enumerate(buckets):
        y = CHART_HEIGHT
        segments = []
        for state in STACK_ORDER:
            n = bucket.counts.get(state, 0)
            if not n:
                continue
            height = max(n * scale, 1.0)
            y -= height
            segments.append({"state": state, "y": round(y, 1), "height": round(height, 1)})
        parts = ", ".join(
            f"{bucket.counts[s]} {s.lower()}" for s in STACK_ORDER if bucket.counts.get(s)
        )
        when = f"{format_time(bucket.start)[:16]} to {format_time(bucket.end)[:16]} UTC"
        summary = f"{bucket.total} runs" + (f" ({parts})" if parts else "")
        label = f"{when}: {summary}"
        bars.append(
            {
                "x": round(i * slot + slot * 0.1, 1),
                "width": round(slot * 0.8, 1),
                "segments": segments,
                "label": label,
                "summary": summary,
                "bucket": bucket,
            }
        )
    ticks = [0, len(buckets) // 2, len(buckets) - 1]
    return {
        "bars": bars,
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "axis": AXIS,
        "ticks": [
            {
                "x": 0 if i == 0 else CHART_WIDTH if i == ticks[-1] else round(i * slot, 1),
                "ts": buckets[i].start if i < ticks[-1] else buckets[i].end,
                "anchor": "start" if i == 0 else "end" if i == ticks[-1] else "middle",
            }
            for i in ticks
        ],
        "hourly": window.seconds > 3600,
    }


@router.get("/")
def dashboard(request: Request) -> Response:
    from headwater.server.store import run_stats
    from headwater.settings import get_settings

    key = request.query_params.get("window", DEFAULT_WINDOW)
    problem = None
    if key not in WINDOWS:
        problem = (
            f"unknown window {key[:40]!r}: choose one of {', '.join(WINDOWS)}; "
            f"showing the {WINDOWS[DEFAULT_WINDOW].label.lower()}"
        )
        key = DEFAULT_WINDOW
    window = WINDOWS[key]
    now = time.time()
    since = now - window.seconds
    late_after = get_settings().late_after_seconds
    with request.app.state.db.begin_read() as conn:
        buckets = run_stats.run_histogram(conn, since=since, until=now, buckets=window.buckets)
        failures = run_stats.recent_failures(conn, since=since, limit=10)
        late, late_total = run_stats.late_runs(conn, now=now, late_after=late_after, limit=10)
        pools = run_stats.work_pool_health(conn, now=now)
        task_counts = run_stats.task_run_counts(conn, since=since, until=now)
    by_state: dict[str, int] = {}
    for bucket in buckets:
        for state, n in bucket.counts.items():
            by_state[state] = by_state.get(state, 0) + n
    context = {
        "page_title": "Dashboard",
        "windows": list(WINDOWS.values()),
        "window": window,
        "window_problem": problem,
        "by_state": by_state,
        "total": sum(by_state.values()),
        "task_counts": task_counts,
        "task_total": sum(task_counts.values()),
        "refresh_seconds": REFRESH_SECONDS,
        "stack_order": STACK_ORDER,
        "chart": _bars(buckets, window),
        "failures": failures,
        "late": late,
        "late_total": late_total,
        "pools": pools,
        "now": now,
    }
    return ui.render(request, "dashboard.html", context, status_code=400 if problem else 200)
