"""``/flow-runs/{id}``: one flow run — why it failed (on top), state and history,
parameters, timing, its graph and timeline (drawn by ``run_graph.js`` from
``pages/run_graph.py``'s JSON), the task-run table, subflows and its logs a page at
a time — with Cancel and Retry.  ``/flow-runs/{id}/live`` is what the page polls
while the run is not finished (new log lines, the state, task-run counts)."""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from headwater.server.store.pagination import InvalidCursor
from headwater.server.store.run_retry import RETRYABLE
from headwater.server.ui.pages._events import RUN_EVENTS, run_events
from headwater.server.ui.pages._runs import (
    FINAL_TYPES,
    LIVE_BATCH,
    LOG_LEVELS,
    LOG_TAIL,
    duration_of,
    log_filter,
    log_json,
    parse_id,
)
from headwater.server.ui.pages._transactions import run_transactions
from headwater.server.ui.pages.run_pause import pause_form, run_artifacts
from headwater.server.ui.registry import ui_page
from headwater.server.ui.templating import STATE_TYPES

ui = ui_page("flow-runs")
router = ui.router

TASK_PAGE = 50
FAILED_TYPES = frozenset({"FAILED", "CRASHED"})
SUBFLOWS = 50


@router.get("/flow-runs/{flow_run_id}")
def flow_run_page(
    request: Request,
    flow_run_id: str,
    task_state: str = "",
    tasks_after: str = "",
    log_level: str = "",
    q: str = "",
    log_task: str = "",
    log_before: str = "",
    log_after: str = "",
) -> Response:
    from headwater.schemas.filters import TaskRunFilter
    from headwater.server.store import flow_runs, log_pages, run_failure, run_views, task_runs
    from headwater.server.store.run_retry import retry_blocker
    from headwater.states import StateType

    started = time.perf_counter()
    run_id = parse_id(flow_run_id, "flow run")
    level, text, problems = log_filter(log_level, q)
    state_filter = task_state.strip().upper()
    if state_filter and state_filter not in STATE_TYPES:
        problems.append(f"Unknown task state {task_state[:30]!r}: showing every state.")
        state_filter = ""
    flt = TaskRunFilter(
        flow_run_ids=[run_id], state_types=[StateType(state_filter)] if state_filter else None
    )
    with request.app.state.db.begin_read() as conn:
        run = run_views.read_flow_run_overview(conn, flow_run_id=run_id)
        history = flow_runs.read_flow_run_states(conn, flow_run_id=run_id)
        counts = run_views.count_task_runs_by_state(conn, flow_run_id=run_id)
        failure = (
            run_failure.read_failure(conn, flow_run_id=run_id)
            if run["state_type"] in FAILED_TYPES
            else None
        )
        try:
            page, next_cursor = task_runs.read_task_runs_page(
                conn, task_run_filter=flt, limit=TASK_PAGE, cursor=tasks_after or None
            )
        except InvalidCursor as exc:
            problems.append(f"That task-run page link is not valid ({exc}): showing the first.")
            tasks_after = ""
            page, next_cursor = task_runs.read_task_runs_page(
                conn, task_run_filter=flt, limit=TASK_PAGE
            )
        subflows, subflow_total = run_views.read_subflow_runs(
            conn, flow_run_id=run_id, limit=SUBFLOWS
        )
        log_tasks = log_pages.read_log_tasks(conn, flow_run_id=run_id)
        if log_task and log_task != log_pages.FLOW_ONLY and log_task not in _keys(log_tasks):
            problems.append(f"This run has no task {log_task[:60]!r}: showing every task's logs.")
            log_task = ""
        log_query: dict[str, Any] = {"level_ge": level, "text": text, "task": log_task}
        try:
            log_page = log_pages.read_log_page(
                conn,
                flow_run_id=run_id,
                before=log_before or None,
                after_cursor=log_after or None,
                limit=LOG_TAIL,
                **log_query,
            )
        except InvalidCursor as exc:
            problems.append(f"That log page link is not valid ({exc}): showing the newest lines.")
            log_before = log_after = ""
            log_page = log_pages.read_log_page(
                conn, flow_run_id=run_id, limit=LOG_TAIL, **log_query
            )
        log_lines = log_page["rows"]
        log_total = (
            log_pages.count_log_lines(conn, flow_run_id=run_id, **log_query)
            if log_page["older"] or log_page["newer"]
            else len(log_lines)
        )
        artifact_rows = run_artifacts(conn, flow_run_id=run_id)
        transactions = run_transactions(conn, flow_run_id=run_id)
        pause = pause_form(conn, run_id) if run["state_type"] == "PAUSED" else None
        events = run_events(conn, run)
    final = run["state_type"] in FINAL_TYPES
    context: dict[str, Any] = {
        "page_title": f"Flow run {run['name']}",
        "run": run,
        "final": final,
        "duration": duration_of(run["start_time"], run["end_time"], run["state_type"]),
        "history": [_state_json(state) for state in history],
        "counts": counts,
        "task_total": sum(counts.values()),
        "failure": failure,
        "task_rows": [_task_row(tr) for tr in page],
        "task_state": state_filter,
        "tasks_after": tasks_after,
        "next_tasks_url": _url(run_id, state_filter, next_cursor, log_level, text)
        if next_cursor
        else None,
        "first_tasks_url": _url(run_id, state_filter, None, log_level, text)
        if tasks_after
        else None,
        "subflows": subflows,
        "subflow_total": subflow_total,
        "logs": [log_json(row) for row in log_lines],
        "log_total": log_total,
        "log_tasks": log_tasks,
        "log_task": log_task,
        "log_paged": bool(log_before or log_after),
        "older_logs_url": _log_url(run_id, log_query, log_before=log_page["older"])
        if log_page["older"]
        else None,
        "newer_logs_url": _log_url(run_id, log_query, log_after=log_page["newer"])
        if log_page["newer"]
        else None,
        "newest_logs_url": _log_url(run_id, log_query) if log_before or log_after else None,
        "log_download_url": _log_url(run_id, log_query, download=True),
        "log_level": log_level.strip().upper() if log_level.strip().upper() in LOG_LEVELS else "",
        "log_levels": [name for name in LOG_LEVELS if name],
        "q": text,
        "problems": problems,
        "can_cancel": not final and run["state_type"] != "CANCELLING",
        "retry_blocker": retry_blocker(run),
        "show_retry": run["state_type"] in RETRYABLE,
        "artifact_rows": artifact_rows,
        "transactions": transactions,
        "pause": pause,
        **_events_context(events, run_id),
    }
    response = ui.render(request, "flow_run.html", context)
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["server-timing"] = f"app;dur={elapsed:.1f}"
    return response


def _events_context(events: list[dict[str, Any]], run_id: UUID) -> dict[str, Any]:
    return {
        "run_events": events,
        "run_events_limit": RUN_EVENTS,
        "run_events_url": "/events?"
        + urlencode({"range": "all", "resource": f"headwater.flow-run.{run_id}"}),
    }


def _keys(tasks: list[dict[str, str]]) -> set[str]:
    return {task["key"] for task in tasks}


def _log_url(
    run_id: UUID, log_query: dict[str, Any], *, download: bool = False, **cursor: str
) -> str:
    """A link to another page of the logs (``log_before``/``log_after``), or the
    download of every line that matches the same filter."""

    from headwater.server.ui.pages._runs import level_name

    level = level_name(log_query["level_ge"]) if log_query["level_ge"] else ""
    params = {"q": log_query["text"]}
    if download:
        params.update(level=level, task=log_query["task"])
        query = urlencode({k: v for k, v in params.items() if v})
        return f"/flow-runs/{run_id}/logs.txt" + (f"?{query}" if query else "")
    params.update(log_level=level, log_task=log_query["task"], **cursor)
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/flow-runs/{run_id}" + (f"?{query}" if query else "") + "#logs"


def _url(run_id: UUID, state: str, cursor: str | None, level: str, q: str) -> str:

    params = {"task_state": state, "tasks_after": cursor or "", "log_level": level, "q": q}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/flow-runs/{run_id}" + (f"?{query}" if query else "") + "#task-runs"


def _state_json(state: Any) -> dict[str, Any]:
    return {
        "type": state.type.value,
        "name": state.name,
        "message": state.message,
        "ts": state.timestamp.timestamp(),
    }


def _task_row(task_run: Any) -> dict[str, Any]:
    start = task_run.start_time.timestamp() if task_run.start_time else None
    end = task_run.end_time.timestamp() if task_run.end_time else None
    return {
        "id": task_run.id,
        "name": task_run.name,
        "state_type": task_run.state.type.value,
        "state_name": task_run.state.name,
        "start": start,
        "end": end,
        "duration": duration_of(start, end, task_run.state.type.value),
        "run_count": task_run.run_count,
        "cached": task_run.state.name == "Cached",
    }


@router.get("/flow-runs/{flow_run_id}/live")
def flow_run_live(
    request: Request,
    flow_run_id: str,
    after: str = "",
    level: str = "",
    q: str = "",
    task: str = "",
    tasks: str = "",
    task_state: str = "",
    events: str = "",
) -> Response:
    """What changed since ``after`` (the newest log time the page has): new log lines
    (a 2 s overlap catches lines that arrived late; the page skips ids it has), how
    many lines match the page's log filter, the state and its history, timing and
    task-run counts; with ``tasks=1`` also ``tasks_html``, the task runs' counts and
    first page (of ``task_state``) as the page shows them; with ``events=1``
    ``events_html``, the run's events section."""
    from headwater.server.store import flow_runs, log_pages, run_views
    from headwater.server.store.run_retry import retry_blocker

    run_id = parse_id(flow_run_id, "flow run")
    level_no, text, _ = log_filter(level, q)
    log_task = task.strip()[:300]
    since = _epoch(after)
    if since is not None:
        since -= 2.0
    with request.app.state.db.begin_read() as conn:
        run = run_views.read_flow_run_overview(conn, flow_run_id=run_id)
        history = flow_runs.read_flow_run_states(conn, flow_run_id=run_id)
        counts = run_views.count_task_runs_by_state(conn, flow_run_id=run_id)
        lines = log_pages.read_logs_since(
            conn,
            flow_run_id=run_id,
            since=since,
            level_ge=level_no,
            text=text,
            task=log_task,
            limit=LIVE_BATCH if since is not None else LOG_TAIL,
        )
        log_total = log_pages.count_log_lines(
            conn, flow_run_id=run_id, level_ge=level_no, text=text, task=log_task
        )
        tasks_html = (
            _tasks_html(request, conn, run_id, counts, task_state, (level, text))
            if tasks == "1"
            else None
        )
        events_html = (
            _render(request, "_run_events.html", _events_context(run_events(conn, run), run_id))
            if events == "1"
            else None
        )
    kind = run["state_type"]
    final = kind in FINAL_TYPES
    blocker = retry_blocker(run)
    return JSONResponse(
        {
            "state": {"type": kind, "name": run["state_name"], "message": run["state_message"]},
            "final": final,
            "history": [_state_json(state) for state in history[-100:]],
            "start_time": run["start_time"],
            "end_time": run["end_time"],
            "duration": duration_of(run["start_time"], run["end_time"], kind),
            "run_count": run["run_count"],
            "counts": counts,
            "task_total": sum(counts.values()),
            "logs": [log_json(row) for row in lines],
            "log_total": log_total,
            "tasks_html": tasks_html,
            "events_html": events_html,
            "can_cancel": not final and kind != "CANCELLING",
            "can_retry": blocker is None,
            "retry_blocker": blocker,
            "show_retry": kind in RETRYABLE,
        },
        headers={"cache-control": "no-store"},
    )


def _tasks_html(
    request: Request,
    conn: Any,
    run_id: UUID,
    counts: dict[str, int],
    task_state: str,
    log_query: tuple[str, str],
) -> str:
    """``_task_runs.html`` as the page's first task-run page renders it."""
    from headwater.schemas.filters import TaskRunFilter
    from headwater.server.store import task_runs
    from headwater.states import StateType

    state = task_state.strip().upper()
    state = state if state in STATE_TYPES else ""
    flt = TaskRunFilter(flow_run_ids=[run_id], state_types=[StateType(state)] if state else None)
    page, next_cursor = task_runs.read_task_runs_page(conn, task_run_filter=flt, limit=TASK_PAGE)
    context = {
        "counts": counts,
        "task_total": sum(counts.values()),
        "task_rows": [_task_row(tr) for tr in page],
        "task_state": state,
        "next_tasks_url": _url(run_id, state, next_cursor, *log_query) if next_cursor else None,
        "first_tasks_url": None,
    }
    return _render(request, "_task_runs.html", context)


def _render(request: Request, template: str, context: dict[str, Any]) -> str:
    return bytes(ui.render(request, template, context).body).decode()


def _epoch(text: str) -> float | None:
    """``after=`` as epoch seconds; anything else means "from the tail"."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/flow-runs/{flow_run_id}/cancel")
def cancel(request: Request, flow_run_id: str) -> Response:
    """Cancel the run and its subflows (``run_control.cancel_flow_run``): Cancelled at
    once if it had not started, else Cancelling until its process stops."""
    from headwater.server.store import run_control

    run_id = parse_id(flow_run_id, "flow run")
    with request.app.state.db.begin_write() as conn:
        state = run_control.cancel_flow_run(conn, flow_run_id=run_id, message="cancelled in the UI")
    if _wants_json(request):
        return JSONResponse({"state": {"type": state.type.value, "name": state.name}})
    return RedirectResponse(f"/flow-runs/{run_id}?notice=Flow+run+{state.name}", status_code=303)


@router.post("/flow-runs/{flow_run_id}/retry")
def retry(request: Request, flow_run_id: str) -> Response:
    """Schedule a finished, unsuccessful deployment run again (``run_retry``); its
    worker re-runs it from where it failed."""
    from urllib.parse import quote_plus

    from headwater.server.store.run_retry import NotRetryable, retry_flow_run

    run_id = parse_id(flow_run_id, "flow run")
    try:
        with request.app.state.db.begin_write() as conn:
            state = retry_flow_run(conn, flow_run_id=run_id)
    except NotRetryable as exc:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return RedirectResponse(
            f"/flow-runs/{run_id}?problem={quote_plus(str(exc))}", status_code=303
        )
    if _wants_json(request):
        return JSONResponse({"state": {"type": state.type.value, "name": state.name}})
    notice = quote_plus("Retry requested: a worker will re-run it from where it failed")
    return RedirectResponse(f"/flow-runs/{run_id}?notice={notice}", status_code=303)
