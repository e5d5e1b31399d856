"""``/deployments/{id}/run``: the custom-run form, generated from the parameter schema.

GET draws the form (see ``ui.param_form``); POST reads it back and creates the run
with ``deployment_runs.create_deployment_flow_run``, the function behind
``POST /api/deployments/{id}/create_flow_run``, so the same validation applies.  A
wrong value draws the form again (422) with each field marked with the server's
message and every value as the user left it; nothing is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.pages.flows import parse_id
from headwater.server.ui.param_form import ParamField, build_fields, field_errors, parse_form
from headwater.server.ui.registry import ui_page

ui = ui_page("deployments")
router = ui.router

#: The run options besides parameters: form name → (label, DeploymentFlowRunCreate field).
OPTION_FIELDS = {"run_name": "name", "run_tags": "tags", "start_at": "scheduled_time"}


def _deployment(request: Request, deployment_id: UUID) -> Any:
    from headwater.server.store import deployments

    with request.app.state.db.begin_read() as conn:
        return deployments.read_deployment(conn, deployment_id=deployment_id)


def _page(
    request: Request,
    deployment: Any,
    fields: list[ParamField],
    options: dict[str, str],
    errors: dict[str, str],
    general: list[str],
    status: int = 200,
) -> Response:
    context = {
        "page_title": f"Run {deployment.full_name}",
        "deployment": deployment,
        "fields": fields,
        "options": options,
        "option_errors": errors,
        "general_errors": general,
        "has_schema": bool((deployment.parameter_schema or {}).get("properties")),
    }
    return ui.render(request, "deployment_run.html", context, status_code=status)


@router.get("/deployments/{deployment_id}/run")
def custom_run_form(request: Request, deployment_id: str) -> Response:
    deployment = _deployment(request, parse_id(deployment_id, "deployment"))
    fields = build_fields(deployment.parameter_schema or {}, deployment.parameters or {})
    options = {"run_name": "", "run_tags": "", "start_at": "", "tz_offset": ""}
    return _page(request, deployment, fields, options, {}, [])


def _start_time(text: str, offset: str) -> tuple[dt.datetime | None, str]:
    """``datetime-local`` text and the browser's UTC offset (minutes, as JavaScript's
    ``getTimezoneOffset``) → an aware datetime; without an offset the time is UTC."""
    if not text.strip():
        return None, ""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None, f"{text[:40]!r} is not a date and time"
    if when.tzinfo is None:
        minutes = 0
        if offset.strip():
            try:
                minutes = int(offset)
            except ValueError:
                return None, "the time zone of the browser was not understood"
            if abs(minutes) > 18 * 60:
                return None, "the time zone of the browser was not understood"
        when = when.replace(tzinfo=dt.timezone(-dt.timedelta(minutes=minutes)))
    return when, ""


def _run_request(options: dict[str, str], parameters: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """``DeploymentFlowRunCreate`` from the form, or the problems by form field."""
    from pydantic import ValidationError

    from headwater.schemas.deployments import DeploymentFlowRunCreate

    errors: dict[str, str] = {}
    when, problem = _start_time(options["start_at"], options["tz_offset"])
    if problem:
        errors["start_at"] = problem
    tags = [t.strip() for t in options["run_tags"].split(",") if t.strip()]
    data: dict[str, Any] = {"parameters": parameters, "tags": tags}
    if options["run_name"].strip():
        data["name"] = options["run_name"].strip()
    if when is not None:
        data["scheduled_time"] = when
    try:
        run = DeploymentFlowRunCreate.model_validate(data)
    except ValidationError as exc:
        by_field = {v: k for k, v in OPTION_FIELDS.items()}
        for error in exc.errors(include_url=False):
            loc = error.get("loc") or ("",)
            key = by_field.get(str(loc[0]), "parameters")
            errors.setdefault(key, str(error.get("msg", "is not valid")))
        return None, errors
    return (None if errors else run), errors


@router.post("/deployments/{deployment_id}/run")
async def custom_run_submit(request: Request, deployment_id: str) -> Response:
    found_id = parse_id(deployment_id, "deployment")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_submit, request, found_id, values)


def _submit(request: Request, deployment_id: UUID, form: dict[str, str]) -> Response:
    from headwater.exceptions import DeploymentNotFound, ParameterValidationError, UserInputError
    from headwater.server.store import deployment_runs

    deployment = _deployment(request, deployment_id)
    schema = deployment.parameter_schema or {}
    fields = build_fields(schema, deployment.parameters or {})
    parameters, unreadable = parse_form(fields, form)
    options = {k: form.get(k, "")[:2000] for k in ("run_name", "run_tags", "start_at", "tz_offset")}
    run, option_errors = _run_request(options, parameters)
    by_name = dict(unreadable)
    general: list[str] = []
    if "parameters" in option_errors:
        general.append("parameters: " + option_errors.pop("parameters"))
    if by_name or run is None:
        # Nothing is created; still check the readable values so every mistake shows.
        readable = {**(deployment.parameters or {}), **parameters}
        try:
            deployment_runs.check_parameters(schema, readable)
        except ParameterValidationError as exc:
            more, rest = field_errors(exc.errors)
            for name, message in more.items():
                by_name.setdefault(name, message)
            general.extend(rest)
    else:
        try:
            with request.app.state.db.begin_write() as conn:
                created = deployment_runs.create_deployment_flow_run(
                    conn, deployment_id=deployment_id, run=run
                )
        except ParameterValidationError as exc:
            more, rest = field_errors(exc.errors)
            by_name.update(more)
            general.extend(rest)
        except DeploymentNotFound:
            raise
        except UserInputError as exc:
            general.append(str(exc))
        else:
            return RedirectResponse(f"/flow-runs/{created['id']}", status_code=303)
    known = {item.name for item in fields}
    for item in fields:
        item.error = by_name.get(item.name, "")
    general.extend(f"parameter {n!r}: {m}" for n, m in by_name.items() if n not in known)
    if not (general or option_errors or any(item.error for item in fields)):
        general.append("the run was not created")  # a path above always names why
    return _page(request, deployment, fields, options, option_errors, general, status=422)
