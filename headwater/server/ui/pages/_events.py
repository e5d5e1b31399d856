"""Events as the UI shows them (the Events page and a flow run's events): the
resource and related resources with links to their pages, the payload as JSON."""

from __future__ import annotations

import json
from typing import Any

RESOURCE_ID = "headwater.resource.id"
NAME = "headwater.resource.name"
ROLE = "headwater.resource.role"
#: Resource id prefixes with a page of their own.
_PAGES = {
    "headwater.flow-run.": "/flow-runs/",
    "headwater.task-run.": "/task-runs/",
    "headwater.deployment.": "/deployments/",
    "headwater.flow.": "/flows/",
    "headwater.automation.": "/automations/",
}


def link_of(resource_id: str) -> str | None:
    for prefix, page in _PAGES.items():
        if resource_id.startswith(prefix):
            return page + resource_id[len(prefix) :]
    return None


def _resource(labels: dict[str, Any]) -> dict[str, Any]:
    rid = str(labels.get(RESOURCE_ID, ""))
    return {
        "id": rid,
        "name": labels.get(NAME),
        "role": labels.get(ROLE),
        "link": link_of(rid),
        "labels": {k: v for k, v in labels.items() if k not in (RESOURCE_ID, NAME, ROLE)},
    }


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    """A stored event row as the templates show it."""
    payload = row.get("payload") or {}
    return {
        "id": str(row["id"]),
        "occurred": row["occurred"],
        "event": row["event"],
        "resource": _resource(row.get("resource") or {}),
        "related": [_resource(r) for r in row.get("related") or []],
        "payload": json.dumps(payload, indent=2, sort_keys=True, default=str) if payload else "",
    }


#: Events shown on a flow run's page (the rest are on the Events page).
RUN_EVENTS = 100


def run_events(conn: Any, run: dict[str, Any]) -> list[dict[str, Any]]:
    """A flow run's events, oldest first: those about the run and those it is related
    to (its task runs'), read within the run's lifetime (an indexed time range)."""
    from headwater.schemas.events import EventFilter
    from headwater.server.store import events

    occurred: dict[str, float] = {}
    if run.get("created"):
        occurred["since"] = float(run["created"]) - 1.0
    if run.get("end_time") is not None:
        end = run["end_time"]
        occurred["until"] = (end if isinstance(end, float) else end.timestamp()) + 60.0
    flt = EventFilter.model_validate(
        {
            "occurred": occurred,
            "any_resource": {"id": [f"headwater.flow-run.{run['id']}"]},
            "order": "ASC",
        }
    )
    rows, _ = events.read_events_page(conn, event_filter=flt, limit=RUN_EVENTS)
    return [event_view(r) for r in rows]
