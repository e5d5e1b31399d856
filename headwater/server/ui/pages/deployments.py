"""``/deployments`` and ``/deployments/{id}``: schedules (switch on/off), upcoming and
recent runs, and **Run** (a run with the default parameters).

The custom-run form is in ``deployment_run.py``; the forms that change a deployment
and its schedules are in ``deployment_edit.py``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.pages.flows import MAX_QUERY_CHARS, page_number, parse_id
from headwater.server.ui.registry import ui_page

ui = ui_page("deployments", nav="Deployments", order=40)
router = ui.router

PAGE_SIZE = 100
UPCOMING_RUNS = 10
RECENT_RUNS = 20


def runs_url(deployment_id: object) -> str:
    """The runs list narrowed to one deployment."""
    return "/flow-runs?" + urlencode({"deployment": str(deployment_id)})


def _back(deployment_id: object, key: str, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/deployments/{deployment_id}?{key}={quote(message[:300])}", status_code=303
    )


@router.get("/deployments")
def deployments_page(request: Request, q: str = "", page: str = "") -> Response:
    from headwater.schemas.deployments import DeploymentFilter
    from headwater.server.store import deployment_stats, deployments

    number, problem = page_number(page)
    query = q.strip()[:MAX_QUERY_CHARS]
    flt = DeploymentFilter(name_like=query) if query else None
    with request.app.state.db.begin_read() as conn:
        found = deployments.read_deployments(
            conn, deployment_filter=flt, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
        shown = found[:PAGE_SIZE]
        last = deployment_stats.last_runs(conn, deployment_ids=[d.id for d in shown])

    def url(n: int) -> str:
        params = {k: v for k, v in (("q", query), ("page", str(n))) if v and v != "1"}
        return "/deployments" + (f"?{urlencode(params)}" if params else "")

    first = (number - 1) * PAGE_SIZE + 1
    context = {
        "page_title": "Deployments",
        "deployments": shown,
        "last_runs": last,
        "q": query,
        "problem_text": problem,
        "next_url": url(number + 1) if len(found) > PAGE_SIZE else None,
        "prev_url": url(number - 1) if number > 1 else None,
        "summary": f"{first} to {first + len(shown) - 1}" if shown else "",
    }
    return ui.render(request, "deployments.html", context)


@router.get("/deployments/{deployment_id}")
def deployment_page(request: Request, deployment_id: str) -> Response:
    from headwater.server.store import deployment_stats, deployments
    from headwater.server.ui.pages.deployment_edit import KINDS, describe, next_times

    found_id = parse_id(deployment_id, "deployment")
    with request.app.state.db.begin_read() as conn:
        deployment = deployments.read_deployment(conn, deployment_id=found_id)
        upcoming = deployment_stats.upcoming_runs(conn, deployment_id=found_id, limit=UPCOMING_RUNS)
        recent = deployment_stats.recent_runs(conn, deployment_id=found_id, limit=RECENT_RUNS)
    context = {
        "page_title": deployment.full_name,
        "deployment": deployment,
        "upcoming": upcoming,
        "recent": recent,
        "runs_url": runs_url(deployment.id),
        "schedule_words": {s.id: describe(s.schedule) for s in deployment.schedules},
        "schedule_next": {s.id: next_times(s.schedule) for s in deployment.schedules},
        "schedule_kinds": KINDS,
    }
    return ui.render(request, "deployment.html", context)


@router.post("/deployments/{deployment_id}/schedules/{schedule_id}/toggle")
def toggle_schedule(
    request: Request,
    deployment_id: str,
    schedule_id: str,
    active: Annotated[str, Form()] = "",
) -> Response:
    """Switch a schedule on (``active=true``) or off (``active=false``).

    The form says which, so a double submit leaves it as the user saw it.  Switching
    removes the schedule's runs that have not started (``update_schedule``); the
    scheduler makes new ones when it is on."""
    from headwater.schemas.deployments import ScheduleUpdate
    from headwater.server.store import deployments

    found_id = parse_id(deployment_id, "deployment")
    found_schedule = parse_id(schedule_id, "schedule")
    if active not in ("true", "false"):
        return _back(found_id, "problem", "Say whether the schedule should be on or off.")
    on = active == "true"
    with request.app.state.db.begin_write() as conn:
        deployments.update_schedule(
            conn,
            deployment_id=found_id,
            schedule_id=found_schedule,
            changes=ScheduleUpdate(active=on),
        )
    return _back(found_id, "notice", "Schedule switched on." if on else "Schedule switched off.")


@router.post("/deployments/{deployment_id}/quick-run")
def quick_run(request: Request, deployment_id: str) -> Response:
    """A run with the deployment's default parameters, due now, exactly as
    ``POST /api/deployments/{id}/create_flow_run`` with an empty body makes it."""
    from headwater.exceptions import ParameterValidationError
    from headwater.schemas.deployments import DeploymentFlowRunCreate
    from headwater.server.store import deployment_runs

    found_id = parse_id(deployment_id, "deployment")
    try:
        with request.app.state.db.begin_write() as conn:
            created = deployment_runs.create_deployment_flow_run(
                conn, deployment_id=found_id, run=DeploymentFlowRunCreate()
            )
    except ParameterValidationError as exc:
        message = f"Not run: {exc}. Use Custom run to give the missing values."
        return _back(found_id, "problem", message)
    return RedirectResponse(f"/flow-runs/{created['id']}", status_code=303)
