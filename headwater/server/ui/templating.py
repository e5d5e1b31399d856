"""The Jinja2 environment and ``render``: every page goes through here.

Templates live in ``templates/``; ``_macros.html`` has the shared pieces (state
badge, time, duration, pagination).  ``render`` adds what the layout needs (CSRF
token, whether login is on, the version) to each page's context.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse

from headwater._version import __version__
from headwater.states import StateType

TEMPLATES = Path(__file__).parent / "templates"

#: State type → CSS modifier; one palette for badges, charts and the Gantt.
STATE_TYPES = tuple(state_type.value for state_type in StateType)


def format_time(value: float | None) -> str:
    """Epoch seconds → ``2026-11-22 05:31:45`` (UTC); the page script shows local time."""
    if value is None:
        return "—"
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(value: float | None) -> str:
    if value is None:
        return ""
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat(timespec="milliseconds")


def format_duration(seconds: float | None) -> str:
    """``850ms``, ``12.3s``, ``4m 05s``, ``2h 03m``, ``3d 4h``."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def state_class(state_type: Any) -> str:
    """``state-completed`` for COMPLETED (a StateType or its string)."""
    name = getattr(state_type, "value", state_type)
    return f"state-{str(name).lower()}" if name else "state-unknown"


def state_label(state_type: Any) -> str:
    """``Completed`` for COMPLETED (a StateType or its string)."""
    name = getattr(state_type, "value", state_type)
    return str(name).capitalize() if name else "Unknown"


def short_id(value: UUID | str | None) -> str:
    return str(value)[:8] if value else ""


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, sort_keys=True, default=str)


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.filters.update(
        time=format_time,
        iso=iso_time,
        duration=format_duration,
        state_class=state_class,
        state_label=state_label,
        short_id=short_id,
        to_json=to_json,
        markdown=_markdown,
    )
    from headwater.server.ui.registry import nav_entries
    from headwater.server.ui.static import asset_url

    env.globals.update(
        version=__version__, state_types=STATE_TYPES, asset=asset_url, nav_entries=nav_entries
    )
    return env


def _markdown(text: object) -> object:
    from headwater.server.ui.artifact_view import render_markdown

    return render_markdown(text)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` rendered with ``context`` plus the layout's values."""
    state = request.scope.get("state", {})
    values = {
        "request": request,
        "path": request.url.path,
        "csrf_token": state.get("csrf_token", ""),
        "auth_enabled": state.get("auth_enabled", False),
        "page_title": "",
        "nav": "",
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers.setdefault("cache-control", "no-store")
    return response
