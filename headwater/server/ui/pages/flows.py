"""``/flows`` (every flow with its numbers) and ``/flows/{id}`` (its runs and deployments)."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from headwater.server.ui.errors import PageNotFound
from headwater.server.ui.registry import ui_page

ui = ui_page("flows", nav="Flows", order=30)
router = ui.router

PAGE_SIZE = 100
RECENT_RUNS = 20
MAX_QUERY_CHARS = 200


def parse_id(value: str, what: str) -> UUID:
    """The UUID in a path; a friendly 404 for anything else."""
    try:
        return UUID(value)
    except ValueError:
        raise PageNotFound(f"{what} {value[:60]} not found") from None


def page_number(value: str) -> tuple[int, str]:
    """``?page=`` as a number from 1; ``(1, problem)`` when it is not one."""
    if not value:
        return 1, ""
    if value.isdigit() and 0 < int(value) <= 100_000:
        return int(value), ""
    return 1, f"Page {value[:20]!r} is not a page number: showing the first page."


@router.get("/flows")
def flows_page(request: Request, q: str = "", page: str = "") -> Response:
    from headwater.server.store import flow_stats

    number, problem = page_number(page)
    query = q.strip()[:MAX_QUERY_CHARS]
    with request.app.state.db.begin_read() as conn:
        found = flow_stats.read_flow_summaries(
            conn, name_like=query or None, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )

    def url(n: int) -> str:
        params = {k: v for k, v in (("q", query), ("page", str(n))) if v and v != "1"}
        return "/flows" + (f"?{urlencode(params)}" if params else "")

    first = (number - 1) * PAGE_SIZE + 1
    shown = found[:PAGE_SIZE]
    context = {
        "page_title": "Flows",
        "flows": shown,
        "q": query,
        "problem_text": problem,
        "next_url": url(number + 1) if len(found) > PAGE_SIZE else None,
        "prev_url": url(number - 1) if number > 1 else None,
        "summary": f"{first} to {first + len(shown) - 1}" if shown else "",
    }
    return ui.render(request, "flows.html", context)


@router.get("/flows/{flow_id}")
def flow_page(request: Request, flow_id: str) -> Response:
    from headwater.schemas.deployments import DeploymentFilter
    from headwater.schemas.filters import FlowRunFilter, FlowRunSort
    from headwater.server.store import deployment_stats, deployments, flow_runs, flow_stats

    found_id = parse_id(flow_id, "flow")
    with request.app.state.db.begin_read() as conn:
        flow = flow_stats.read_flow_summary(conn, flow_id=found_id)
        runs = flow_runs.read_flow_runs(
            conn,
            flow_run_filter=FlowRunFilter(flow_ids=[found_id]),
            sort=FlowRunSort.START_TIME_DESC,
            limit=RECENT_RUNS,
        )
        found_deployments = deployments.read_deployments(
            conn, deployment_filter=DeploymentFilter(flow_names=[flow["name"]]), limit=500
        )
        last = deployment_stats.last_runs(conn, deployment_ids=[d.id for d in found_deployments])
    context = {
        "page_title": flow["name"],
        "flow": flow,
        "runs": runs,
        "deployments": found_deployments,
        "last_runs": last,
        "all_runs_url": "/flow-runs?" + urlencode({"flow": flow["name"]}),
    }
    return ui.render(request, "flow.html", context)
