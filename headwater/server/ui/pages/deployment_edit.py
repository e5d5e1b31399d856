"""Changing a deployment from its page: description, tags and default parameters;
pause, resume, delete; add, change and delete schedules (cron, interval or rrule),
with the timing in words and its next five times (``/schedule-preview`` answers the
form as it is typed).  Plain HTML forms (POST, CSRF token) through the same schemas
and store functions as the API; what they refuse comes back as the page's one-line
problem and nothing changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response

from headwater.server.ui.pages.flows import parse_id
from headwater.server.ui.registry import ui_page

ui = ui_page("deployments")
router = ui.router

FormText = Annotated[str, Form()]
PREVIEW_TIMES = 5
KINDS = ("cron", "interval", "rrule")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_INTERVAL_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


def _back(deployment_id: UUID, key: str, message: str, anchor: str = "") -> Response:
    url = f"/deployments/{deployment_id}?{key}={quote(message[:300])}"
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "form"
        return f"{field}: {str(first['msg']).removeprefix('Value error, ')}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- schedules: words and next times -------------------------------------------------
def describe(timing: dict[str, Any]) -> str:
    """A stored or new schedule's timing in words."""
    from headwater.utilities.cron_text import describe_cron

    zone = timing.get("timezone") or "UTC"
    kind = timing.get("type")
    if kind == "cron":
        text = describe_cron(str(timing.get("cron", "")))
    elif kind == "interval":
        text = _every(float(timing.get("interval") or 0))
    else:
        text = f"RRule {timing.get('rrule', '')}"
    return f"{text} ({zone})"


def _every(seconds: float) -> str:
    """``900`` → "Every 15 minutes", ``86400`` → "Every day", ``5400`` → "Every 90 minutes"."""
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"Every {unit}" if n == 1 else f"Every {n} {unit}s"
    return f"Every {seconds:g} seconds"


def next_times(timing: dict[str, Any], count: int = PREVIEW_TIMES) -> list[float]:
    from headwater.core.schedules import schedule_from_dict

    try:
        schedule = schedule_from_dict(timing)
        after = dt.datetime.now(dt.timezone.utc)
        return [when.timestamp() for when in schedule.next_times(after, count=count)]
    except Exception:  # stored by a newer Headwater: show no times
        return []


def _schedule(kind: str, value: str, timezone: str, active: bool, parameters: str) -> Any:
    """A ``ScheduleCreate`` from the form; ValueError/ValidationError say why not."""
    from headwater.schemas.deployments import ScheduleCreate

    if kind not in KINDS:
        raise ValueError(f"kind: choose one of {', '.join(KINDS)}")
    text = value.strip()
    if not text:
        raise ValueError(f"{kind}: enter the timing")
    fields: dict[str, Any] = {"timezone": timezone.strip() or "UTC", "active": active}
    if kind == "interval":
        found = _INTERVAL_RE.match(text)
        if not found:
            raise ValueError(f"interval: {text[:40]!r} is not a duration (e.g. 90, 15m, 2h, 1d)")
        fields["interval"] = float(found.group(1)) * _UNITS[(found.group(2) or "s").lower()]
    else:
        fields[kind] = text
    if parameters.strip():
        fields["parameters"] = _json_object(parameters, "parameters")
    schedule = ScheduleCreate(**fields)
    schedule.to_schedule()  # the timing itself: InvalidOptionError in one line
    return schedule


def _json_object(raw: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{field}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise ValueError(f'{field}: a JSON object is needed, e.g. {{"n": 3}}')
    return value


@router.get("/schedule-preview")
def schedule_preview(
    request: Request, kind: str = "cron", value: str = "", timezone: str = "UTC"
) -> Response:
    """``{description, next: [epoch…]}`` for the schedule form, or ``{problem}``: an
    unfinished timing is normal while typing, so this answers 200 either way."""
    try:
        schedule = _schedule(kind, value[:2000], timezone[:100], True, "")
        timing = schedule.to_schedule().to_dict()
    except Exception as exc:
        return JSONResponse({"problem": _one_line(exc)}, headers={"cache-control": "no-store"})
    body = {"description": describe(timing), "next": next_times(timing)}
    return JSONResponse(body, headers={"cache-control": "no-store"})


@router.post("/deployments/{deployment_id}/schedules")
def add_schedule(
    request: Request,
    deployment_id: str,
    kind: FormText = "cron",
    value: FormText = "",
    timezone: FormText = "UTC",
    active: FormText = "",
    parameters: FormText = "",
) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.server.store import deployment_schedules

    found_id = parse_id(deployment_id, "deployment")
    try:
        schedule = _schedule(kind, value, timezone, active == "on", parameters)
        with request.app.state.db.begin_write() as conn:
            deployment_schedules.add_schedule(conn, deployment_id=found_id, schedule=schedule)
    except (ValidationError, ValueError, UserInputError) as exc:
        return _back(found_id, "problem", f"Schedule not added: {_one_line(exc)}", "schedules")
    words = describe(schedule.to_schedule().to_dict())
    return _back(found_id, "notice", f"Schedule added: {words}.", "schedules")


@router.post("/deployments/{deployment_id}/schedules/{schedule_id}/edit")
def edit_schedule(
    request: Request,
    deployment_id: str,
    schedule_id: str,
    kind: FormText = "cron",
    value: FormText = "",
    timezone: FormText = "UTC",
    active: FormText = "",
    parameters: FormText = "",
) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.server.store import deployment_schedules

    found_id = parse_id(deployment_id, "deployment")
    found_schedule = parse_id(schedule_id, "schedule")
    try:
        schedule = _schedule(kind, value, timezone, active == "on", parameters)
        with request.app.state.db.begin_write() as conn:
            deployment_schedules.replace_schedule(
                conn, deployment_id=found_id, schedule_id=found_schedule, schedule=schedule
            )
    except (ValidationError, ValueError, UserInputError) as exc:
        return _back(found_id, "problem", f"Schedule not changed: {_one_line(exc)}", "schedules")
    words = describe(schedule.to_schedule().to_dict())
    return _back(found_id, "notice", f"Schedule changed: {words}.", "schedules")


@router.post("/deployments/{deployment_id}/schedules/{schedule_id}/delete")
def delete_schedule(request: Request, deployment_id: str, schedule_id: str) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.server.store import deployment_schedules

    found_id = parse_id(deployment_id, "deployment")
    found_schedule = parse_id(schedule_id, "schedule")
    try:
        with request.app.state.db.begin_write() as conn:
            deployment_schedules.delete_schedule(
                conn, deployment_id=found_id, schedule_id=found_schedule
            )
    except UserInputError as exc:
        return _back(found_id, "problem", f"Schedule not deleted: {_one_line(exc)}", "schedules")
    return _back(found_id, "notice", "Schedule deleted with its runs that had not started.")


# -- the deployment itself --------------------------------------------------------------
@router.post("/deployments/{deployment_id}/edit")
def edit_deployment(
    request: Request,
    deployment_id: str,
    description: FormText = "",
    tags: FormText = "",
    parameters: FormText = "",
) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.schemas.deployments import DeploymentUpdate
    from headwater.server.store import deployments

    found_id = parse_id(deployment_id, "deployment")
    try:
        changes = DeploymentUpdate(
            description=description.strip(),
            tags=[t for t in dict.fromkeys(p.strip() for p in tags.split(",")) if t],
            parameters=_json_object(parameters, "parameters") if parameters.strip() else {},
        )
        with request.app.state.db.begin_write() as conn:
            deployments.update_deployment(conn, deployment_id=found_id, changes=changes)
    except (ValidationError, ValueError, UserInputError) as exc:
        return _back(found_id, "problem", f"Nothing was changed: {_one_line(exc)}", "edit")
    return _back(found_id, "notice", "Deployment saved.")


def _set_paused(request: Request, deployment_id: str, paused: bool) -> Response:
    from headwater.schemas.deployments import DeploymentUpdate
    from headwater.server.store import deployments

    found_id = parse_id(deployment_id, "deployment")
    with request.app.state.db.begin_write() as conn:
        deployments.update_deployment(
            conn, deployment_id=found_id, changes=DeploymentUpdate(paused=paused)
        )
    if paused:
        return _back(found_id, "notice", "Paused: its schedules make no runs until resumed.")
    return _back(found_id, "notice", "Resumed: its schedules make runs from now on.")


@router.post("/deployments/{deployment_id}/pause")
def pause_deployment(request: Request, deployment_id: str) -> Response:
    return _set_paused(request, deployment_id, True)


@router.post("/deployments/{deployment_id}/resume")
def resume_deployment(request: Request, deployment_id: str) -> Response:
    return _set_paused(request, deployment_id, False)


@router.post("/deployments/{deployment_id}/delete")
def delete_deployment(request: Request, deployment_id: str) -> Response:
    from headwater.server.store import deployments

    found_id = parse_id(deployment_id, "deployment")
    with request.app.state.db.begin_write() as conn:
        name = deployments.read_deployment(conn, deployment_id=found_id).full_name
        deployments.delete_deployment(conn, deployment_id=found_id)
    notice = f"Deleted deployment {name}; its past runs stay."
    return RedirectResponse(f"/deployments?notice={quote(notice)}", status_code=303)
