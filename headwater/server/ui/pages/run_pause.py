"""A paused flow run's input form (generated from the schema the run stored, with the
custom-run form's machinery: ``ui.param_form``) and its resume; the Artifacts section
of the run pages.

``POST /flow-runs/{id}/resume`` resumes through ``run_inputs.resume_flow_run``, the
function behind ``POST /api/flow_runs/{id}/resume``, so the same checks apply: input
that does not fit draws the form again (422) with each field marked and every value
as the user left it, and the run stays paused.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.pages._runs import parse_id
from headwater.server.ui.param_form import ParamField, build_fields, field_errors, parse_form
from headwater.server.ui.registry import ui_page

ui = ui_page("flow-runs")
router = ui.router

ARTIFACTS_SHOWN = 50


def run_artifacts(
    conn: Any, *, flow_run_id: UUID | None = None, task_run_id: UUID | None = None
) -> list[dict[str, Any]]:
    """The run's artifacts as list rows, newest first."""
    from headwater.schemas.artifacts import ArtifactFilter
    from headwater.server.store import artifacts
    from headwater.server.ui.artifact_view import summary

    flt = ArtifactFilter(flow_run_id=flow_run_id, task_run_id=task_run_id)
    found = artifacts.read_artifacts(conn, artifact_filter=flt, limit=ARTIFACTS_SHOWN)
    return [{"artifact": a, "summary": summary(a)} for a in found]


def pause_form(conn: Any, flow_run_id: UUID) -> dict[str, Any]:
    """``{"key", "description", "fields"}`` of a paused run's resume form."""
    from headwater.server.store import run_inputs

    details = run_inputs.pause_details(conn, flow_run_id=flow_run_id)
    wanted = details["input"] or {}
    schema = wanted.get("schema") or {}
    return {
        "key": details["pause_key"],
        "description": wanted.get("description"),
        "schema": schema,
        "fields": build_fields(schema, {}) if details["input"] is not None else [],
        "waits": details["input"] is not None,
    }


@router.post("/flow-runs/{flow_run_id}/resume")
async def resume_submit(request: Request, flow_run_id: str) -> Response:
    run_id = parse_id(flow_run_id, "flow run")
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_resume, request, run_id, values)


def _resume(request: Request, run_id: UUID, form: dict[str, str]) -> Response:
    from urllib.parse import quote_plus

    from headwater.exceptions import ParameterValidationError, UserInputError
    from headwater.server.store import run_inputs, run_views

    with request.app.state.db.begin_read() as conn:
        pause = pause_form(conn, run_id)
        run = run_views.read_flow_run_overview(conn, flow_run_id=run_id)
    fields: list[ParamField] = pause["fields"]
    run_input, unreadable = parse_form(fields, form)
    general: list[str] = []
    by_name: dict[str, str] = dict(unreadable)
    if not unreadable:
        try:
            with request.app.state.db.begin_write() as conn:
                run_inputs.resume_flow_run(
                    conn, flow_run_id=run_id, run_input=run_input if pause["waits"] else None
                )
        except ParameterValidationError as exc:
            errors: list[dict[str, Any]] = []
            for error in exc.errors:
                loc = error.get("loc")
                path = list(loc)[2:] if isinstance(loc, list) else []
                errors.append({**error, "loc": ["body", "parameters", *path]})
            named, general = field_errors(errors)
            by_name.update(named)
        except UserInputError as exc:
            return RedirectResponse(
                f"/flow-runs/{run_id}?problem={quote_plus(str(exc))}", status_code=303
            )
        else:
            notice = quote_plus("Resumed: the flow run carries on")
            return RedirectResponse(f"/flow-runs/{run_id}?notice={notice}", status_code=303)
    for item in fields:
        item.error = by_name.get(item.name, "")
    context = {
        "page_title": f"Resume {run['name']}",
        "run": run,
        "pause": pause,
        "general_errors": general,
    }
    return ui.render(request, "flow_run_resume.html", context, status_code=422)
