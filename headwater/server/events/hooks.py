"""An incoming webhook's request made into an event.

The template (sandboxed Jinja) sees ``body`` (the request's JSON, or its form fields
as a dict, or its text), ``headers`` (names in lower case), ``query`` (the query
string's fields), ``method`` and ``url``, and must render to one event's JSON: at
least ``event`` and ``resource`` with a ``headwater.resource.id`` (or
``prefect.resource.id``).  ``occurred`` defaults to now.  The event is related to the
webhook (role ``webhook``).  A template that cannot render, or that renders to
something else, raises ``HookError`` with one line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from headwater.core.events import Event, EventError
from headwater.schemas.webhooks import Webhook


class HookError(ValueError):
    pass


def _fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form or query fields: one value as a string, a repeated name as a list."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def parse_body(body: bytes, content_type: str) -> Any:
    """JSON (by content type, or any body that parses as JSON), form fields, or text."""
    kind = content_type.split(";", 1)[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    if kind == "application/x-www-form-urlencoded":
        return _fields(parse_qsl(text, keep_blank_values=True))
    if not text.strip():
        return {} if kind.endswith("json") else ""
    try:
        return json.loads(text)
    except ValueError:
        return text


def request_context(
    *, method: str, url: str, headers: Mapping[str, str], query: str, body: bytes
) -> dict[str, Any]:
    lowered = {k.lower(): v for k, v in headers.items()}
    return {
        "method": method,
        "url": url,
        "headers": lowered,
        "query": _fields(parse_qsl(query, keep_blank_values=True)),
        "body": parse_body(body, lowered.get("content-type", "")),
    }


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def render_event(webhook: Webhook, context: dict[str, Any]) -> dict[str, Any]:
    """The event record the webhook's template makes of ``context``."""
    from headwater.server.automations.templates import TemplateError, render

    try:
        text = render(webhook.template, context)
    except TemplateError as exc:
        raise HookError(_one_line(str(exc))) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HookError(_one_line(f"the template did not render to JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise HookError("the template must render to a JSON object (one event)")
    data.setdefault("related", [])
    if not isinstance(data["related"], list):
        raise HookError("the event's 'related' must be a list")
    data["related"] = [
        *data["related"],
        {
            "headwater.resource.id": f"headwater.webhook.{webhook.id}",
            "headwater.resource.role": "webhook",
            "headwater.resource.name": webhook.name,
        },
    ]
    try:
        return Event.from_record(data).to_record()
    except KeyError as exc:
        raise HookError(f"the rendered event has no {exc.args[0]!r}") from None
    except (EventError, TypeError, ValueError, AttributeError) as exc:
        raise HookError(_one_line(f"the rendered event is not valid: {exc}")) from None
