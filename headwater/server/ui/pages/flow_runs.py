"""``/flow-runs``: the runs table (filters, sort, keyset pages), bulk cancel and delete.

The query string is the whole state of the page, so every view can be bookmarked
and shared: ``view`` (none: runs that started or are due; ``upcoming``: runs due
later, soonest first; ``all``), ``state`` (repeatable), ``flow`` (name),
``deployment`` (id), ``tag``, ``window``, ``q`` (name contains), ``subflows=hide``,
``sort``, ``limit`` and ``cursor``.  Named views of it are saved in the store
(``flow_run_filters.py``).  A value the
page cannot use is named in a message and left out; the rest still applies.
Pages are keyset pages (``store/pagination.py``): a deep page costs what the first
one does.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Form, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from headwater.server.ui.registry import ui_page
from headwater.server.ui.templating import STATE_TYPES

ui = ui_page("flow-runs", nav="Flow runs", order=20)
router = ui.router

UTC = dt.timezone.utc
#: key → (label, the store's sort order)
SORTS = {
    "newest": ("Newest first", "EXPECTED_START_TIME_DESC"),
    "oldest": ("Oldest first", "EXPECTED_START_TIME_ASC"),
    "started-newest": ("Started, newest first", "START_TIME_DESC"),
    "started-oldest": ("Started, oldest first", "START_TIME_ASC"),
    "name": ("Name (A to Z)", "NAME_ASC"),
}
DEFAULT_SORT = "newest"
#: key → label: which runs the tabs above the table show.
VIEWS = {"": "Started or due", "upcoming": "Upcoming", "all": "All"}
#: key → (label, seconds back from now)
WINDOWS = {
    "": ("Any time", None),
    "1h": ("Last hour", 3600.0),
    "24h": ("Last 24 hours", 86_400.0),
    "7d": ("Last 7 days", 7 * 86_400.0),
    "30d": ("Last 30 days", 30 * 86_400.0),
}
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
#: The count above the table stops here ("10,000+"): counting every match of a
#: broad filter would cost more than the page itself.
COUNT_CAP = 10_000
UPCOMING_CAP = 1_000
FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
MAX_BULK = 200


def _parse(request: Request, now: float) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The page's choices (for the form and links), the filter's fields, the problems."""
    params = request.query_params
    problems: list[str] = []
    states = []
    for value in params.getlist("state"):
        if value.upper() in STATE_TYPES:
            states.append(value.upper())
        elif value:
            problems.append(f"unknown state {value[:40]!r}")
    view = params.get("view", "")
    if view not in VIEWS:
        problems.append(f"unknown view {view[:40]!r}: use upcoming or all")
        view = ""
    default_sort = "oldest" if view == "upcoming" else DEFAULT_SORT
    sort = params.get("sort") or default_sort
    if sort not in SORTS:
        problems.append(f"unknown sort {sort[:40]!r}; showing {SORTS[default_sort][0].lower()}")
        sort = default_sort
    window = params.get("window", "")
    if window not in WINDOWS:
        problems.append(f"unknown window {window[:40]!r}: choose one of 1h, 24h, 7d, 30d")
        window = ""
    limit = DEFAULT_LIMIT
    raw_limit = params.get("limit")
    if raw_limit:
        try:
            limit = int(raw_limit)
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError
        except ValueError:
            problems.append(f"limit must be a whole number from 1 to {MAX_LIMIT}")
            limit = DEFAULT_LIMIT
    deployment = params.get("deployment", "").strip()
    fields: dict[str, Any] = {}
    if states:
        fields["state_types"] = states
    if deployment:
        try:
            fields["deployment_ids"] = [UUID(deployment)]
        except ValueError:
            problems.append(f"deployment {deployment[:40]!r} is not a deployment id")
            deployment = ""
    flow = params.get("flow", "").strip()
    if flow:
        fields["flow_names"] = [flow]
    tag = params.get("tag", "").strip()
    if tag:
        fields["tags_all"] = [tag]
    text = params.get("q", "").strip()
    if text:
        fields["name_like"] = text
    hide_subflows = params.get("subflows", "") == "hide"
    if hide_subflows:
        fields["has_parent"] = False
    seconds = WINDOWS[window][1]
    if seconds is not None:
        fields["expected_start_time_after"] = dt.datetime.fromtimestamp(now - seconds, UTC)
    fields.update(_view_fields(view, now))
    choices = {
        "view": view,
        "default_sort": default_sort,
        "hide_subflows": hide_subflows,
        "states": states,
        "sort": sort,
        "window": window,
        "limit": limit,
        "deployment": deployment,
        "flow": flow,
        "tag": tag,
        "q": text,
    }
    return choices, fields, problems


def _view_fields(view: str, now: float) -> dict[str, Any]:
    """The filter fields of the Upcoming tab (due later: a short range of the index).
    The default tab (started or due) is the store's ``due_by`` instead."""
    if view == "upcoming":
        return {"expected_start_time_after": dt.datetime.fromtimestamp(now, UTC)}
    return {}


def _flow_run_filter(fields: dict[str, Any], problems: list[str]) -> Any:
    """A FlowRunFilter from ``fields``; a field it refuses is named and left out."""
    from pydantic import ValidationError

    from headwater.schemas.filters import FlowRunFilter

    labels = {"flow_names": "flow", "tags_all": "tag", "name_like": "name filter"}
    while True:
        try:
            return FlowRunFilter(**fields)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not bad & fields.keys():  # nothing left to drop: say so, filter nothing
                problems.append("the filter could not be used")
                return None
            for name in sorted(bad & fields.keys()):
                message = exc.errors()[0]["msg"]
                problems.append(f"{labels.get(name, name)}: {message.lower()}")
                del fields[name]


def _query(choices: dict[str, Any], **changes: Any) -> str:
    """The page's query string with ``changes`` (None drops a key)."""
    values: dict[str, Any] = {
        "view": choices["view"],
        "state": choices["states"],
        "flow": choices["flow"],
        "deployment": choices["deployment"],
        "tag": choices["tag"],
        "window": choices["window"],
        "q": choices["q"],
        "subflows": "hide" if choices["hide_subflows"] else None,
        "sort": None if choices["sort"] == choices["default_sort"] else choices["sort"],
        "limit": None if choices["limit"] == DEFAULT_LIMIT else choices["limit"],
    }
    values.update(changes)
    pairs = [(k, v) for k, v in values.items() if v not in (None, "", [])]
    return urlencode(pairs, doseq=True)


def _row(run: Any, deployments: dict[UUID, str], now: float) -> dict[str, Any]:
    start = run.start_time.timestamp() if run.start_time else None
    end = run.end_time.timestamp() if run.end_time else None
    state_type = run.state.type.value
    if start is not None and end is not None:
        duration: float | None = max(0.0, end - start)
    elif start is not None and state_type not in FINAL_TYPES:
        duration = max(0.0, now - start)
    else:
        duration = run.total_run_time or None
    return {
        "id": run.id,
        "name": run.name,
        "flow_name": run.flow_name,
        "state_type": state_type,
        "state_name": run.state.name,
        "final": state_type in FINAL_TYPES,
        "expected": run.expected_start_time.timestamp() if run.expected_start_time else None,
        "start": start,
        "duration": duration,
        "tags": run.tags,
        "subflow": run.parent_task_run_id is not None,
        "deployment_id": run.deployment_id,
        "deployment": deployments.get(run.deployment_id) if run.deployment_id else None,
    }


@router.get("/flow-runs")
def flow_runs_page(request: Request) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.schemas.filters import FlowRunFilter, FlowRunSort
    from headwater.server.store import run_stats, saved_filters
    from headwater.server.store.flow_runs import count_flow_runs, read_flow_runs_page

    now = time.time()
    choices, fields, problems = _parse(request, now)
    flt = _flow_run_filter(fields, problems)
    sort = FlowRunSort(SORTS[choices["sort"]][1])
    cursor = request.query_params.get("cursor") or None
    due_by = now if choices["view"] == "" else None
    with request.app.state.db.begin_read() as conn:
        try:
            runs, next_cursor = read_flow_runs_page(
                conn,
                flow_run_filter=flt,
                sort=sort,
                limit=choices["limit"],
                cursor=cursor,
                due_by=due_by,
            )
        except UserInputError as exc:  # a damaged or outdated cursor
            problems.append(f"that page link cannot be used ({exc}); showing the first page")
            cursor = None
            runs, next_cursor = read_flow_runs_page(
                conn, flow_run_filter=flt, sort=sort, limit=choices["limit"], due_by=due_by
            )
        matches = count_flow_runs(conn, flow_run_filter=flt, cap=COUNT_CAP, due_by=due_by)
        upcoming = count_flow_runs(
            conn, flow_run_filter=FlowRunFilter(**_view_fields("upcoming", now)), cap=UPCOMING_CAP
        )
        saved = saved_filters.read_saved_filters(conn, page="flow-runs")
        flows = run_stats.flow_names(conn)
        deployments = run_stats.deployment_names(conn)
    rows = [_row(run, deployments, now) for run in runs]
    context = {
        "page_title": "Flow runs",
        "rows": rows,
        "choices": choices,
        "problems": problems,
        "matches": matches,
        "count_cap": COUNT_CAP,
        "upcoming": upcoming,
        "upcoming_cap": UPCOMING_CAP,
        "views": VIEWS,
        "view_urls": {key: f"/flow-runs?{_query(choices, view=key, sort=None)}" for key in VIEWS},
        "saved_filters": saved,
        "current_query": _query(choices),
        "sorts": SORTS,
        "windows": WINDOWS,
        "flows": flows,
        "deployments": deployments,
        "next_url": f"/flow-runs?{_query(choices, cursor=next_cursor)}" if next_cursor else None,
        "first_url": f"/flow-runs?{_query(choices)}" if cursor else None,
        "back": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "max_bulk": MAX_BULK,
    }
    return ui.render(request, "flow_runs.html", context, status_code=400 if problems else 200)


def _ids(values: list[str]) -> list[UUID]:
    ids = []
    for value in values:
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


def _back(back: str, **message: str) -> RedirectResponse:
    """Back to the list the form came from (only ever a /flow-runs URL) with a message."""
    if not (back == "/flow-runs" or back.startswith("/flow-runs?")):
        back = "/flow-runs"
    base, _, query = back.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("notice=", "problem="))]
    kept.append(urlencode(message))
    return RedirectResponse(f"{base}?{'&'.join(kept)}", status_code=303)


@router.post("/flow-runs/bulk")
def bulk_action(
    action: Annotated[str, Form()] = "",
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    back: Annotated[str, Form()] = "/flow-runs",
    *,
    request: Request,
) -> Response:
    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.filters import FlowRunFilter
    from headwater.server.store.flow_runs import delete_flow_run
    from headwater.server.store.run_control import cancel_flow_runs

    run_ids = _ids(ids)
    if action not in ("cancel", "delete"):
        return _back(back, problem=f"unknown action {action[:40]!r}: use cancel or delete")
    if not run_ids:
        return _back(back, problem="Select at least one run first.")
    if len(run_ids) > MAX_BULK:
        return _back(back, problem=f"Select at most {MAX_BULK} runs at a time.")
    db = request.app.state.db
    if action == "cancel":
        with db.begin_write() as conn:
            done = cancel_flow_runs(
                conn, flow_run_filter=FlowRunFilter(ids=run_ids), limit=len(run_ids)
            )
        skipped = len(run_ids) - len(done)
        text = f"Cancelled {_runs(len(done))}"
        if skipped:
            text += f"; {_runs(skipped)} had already finished or were gone"
        return _back(back, notice=text + ".")
    deleted = 0
    with db.begin_write() as conn:
        for run_id in run_ids:
            try:
                delete_flow_run(conn, flow_run_id=run_id)
                deleted += 1
            except ObjectNotFound:
                continue
    text = f"Deleted {_runs(deleted)}"
    if deleted < len(run_ids):
        text += f"; {_runs(len(run_ids) - deleted)} were already gone"
    return _back(back, notice=text + ".")


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


@router.get("/flow-run-states")
def flow_run_states(request: Request) -> Response:
    """``{id: {state_type, state_name, final}}`` for the ``ids`` given: the list page
    polls it to keep its unfinished rows' badges current."""
    from headwater.server.store.run_stats import run_states

    run_ids = _ids(request.query_params.getlist("ids"))[:MAX_LIMIT]
    with request.app.state.db.begin_read() as conn:
        states = run_states(conn, flow_run_ids=run_ids)
    return JSONResponse(
        {
            str(run_id): {"state_type": kind, "state_name": name, "final": kind in FINAL_TYPES}
            for run_id, (kind, name) in states.items()
        },
        headers={"cache-control": "no-store"},
    )
