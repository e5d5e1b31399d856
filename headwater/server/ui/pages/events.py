"""``/events``: the event feed, newest first — filtered by time range, event-name
prefix and resource (the event's resource or a related one), a keyset page at a time,
each event expandable to its resources and payload.  The first page refreshes itself
while the tab is visible (``static/js/events.js`` fetches the page again and swaps the
list)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from headwater.server.ui.pages._events import event_view
from headwater.server.ui.registry import ui_page

ui = ui_page("automations")  # under Automations (its page links here)
router = ui.router

PAGE = 50
RANGES = {"15m": 900, "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "all": None}
RANGE_LABELS = {
    "15m": "Last 15 minutes",
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "all": "All time",
}
REFRESH_SECONDS = 5


def _cursor(raw: str) -> tuple[float, UUID]:
    occurred, _, ident = raw.partition("~")
    try:
        return float(occurred), UUID(ident)
    except ValueError:
        raise ValueError(f"the page link {raw[:40]!r} is not valid") from None


@router.get("/events")
def events_page(
    request: Request, range: str = "24h", prefix: str = "", resource: str = "", before: str = ""
) -> Response:
    from headwater.schemas.events import EventFilter
    from headwater.server.store import events

    problems: list[str] = []
    if range not in RANGES:
        problems.append(f"Unknown time range {range[:20]!r}: showing the last 24 hours.")
        range = "24h"
    prefix, resource = prefix.strip()[:500], resource.strip()[:1000]
    position = None
    if before:
        try:
            position = _cursor(before)
        except ValueError as exc:
            problems.append(f"{str(exc).capitalize()}: showing the newest events.")
            before = ""
    spec: dict[str, Any] = {}
    seconds = RANGES[range]
    if seconds is not None:
        spec["occurred"] = {"since": time.time() - seconds}
    if prefix:
        spec["event"] = {"prefix": [prefix]}
    if resource:
        spec["any_resource"] = {"id": [resource]}
    flt = EventFilter.model_validate(spec)
    with request.app.state.db.begin_read() as conn:
        rows, after = events.read_events_page(conn, event_filter=flt, limit=PAGE, position=position)
    query = {"range": range, "prefix": prefix, "resource": resource}
    shown = {k: v for k, v in query.items() if v and not (k == "range" and v == "24h")}
    next_url = (
        "/events?" + urlencode({**shown, "before": f"{after[0]!r}~{after[1]}"}) if after else None
    )
    context = {
        "page_title": "Events",
        "events": [event_view(r) for r in rows],
        "range": range,
        "ranges": RANGE_LABELS,
        "prefix": prefix,
        "resource": resource,
        "paged": bool(before),
        "next_url": next_url,
        "first_url": "/events" + ("?" + urlencode(shown) if shown else "") if before else None,
        "problems": problems,
        "refresh": REFRESH_SECONDS,
    }
    return ui.render(request, "events.html", context, status_code=400 if problems else 200)
