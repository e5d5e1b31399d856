"""``/task-runs/{id}``: one task run — its state history, where its inputs came
from, the reference to its persisted result, cache key, attempts, timing and logs."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from headwater.server.ui.pages._runs import (
    LOG_LEVELS,
    LOG_TAIL,
    duration_of,
    log_filter,
    log_json,
    parse_id,
)
from headwater.server.ui.pages.run_pause import run_artifacts
from headwater.server.ui.registry import ui_page

ui = ui_page("flow-runs")
router = ui.router

#: Upstream runs listed per input (a mapped input may name thousands).
MAX_UPSTREAM = 20
#: Input names the engine uses for lineage that is not a parameter.
SPECIAL_INPUTS = {"__wait_for__": "wait_for", "__subflow_run__": "subflow run"}


@router.get("/task-runs/{task_run_id}")
def task_run_page(request: Request, task_run_id: str, log_level: str = "", q: str = "") -> Response:
    from headwater.server.store import run_views, task_runs

    started = time.perf_counter()
    run_id = parse_id(task_run_id, "task run")
    level, text, problems = log_filter(log_level, q)
    with request.app.state.db.begin_read() as conn:
        task_run = task_runs.read_task_run(conn, task_run_id=run_id)
        flow_run = None
        if task_run.flow_run_id is not None:
            flow_run = run_views.read_flow_run_label(conn, flow_run_id=task_run.flow_run_id)
        inputs, upstream_names = _inputs(conn, task_run.inputs)
        log_lines = run_views.read_log_tail(
            conn, task_run_id=run_id, level_ge=level, text=text or None, limit=LOG_TAIL
        )
        log_total = (
            run_views.count_logs(conn, task_run_id=run_id, level_ge=level, text=text or None)
            if len(log_lines) == LOG_TAIL
            else len(log_lines)
        )
        artifact_rows = run_artifacts(conn, task_run_id=run_id)
    start = task_run.start_time.timestamp() if task_run.start_time else None
    end = task_run.end_time.timestamp() if task_run.end_time else None
    state_type = task_run.state.type.value
    result = task_run.result or task_run.state.state_details.result_ref
    context: dict[str, Any] = {
        "page_title": f"Task run {task_run.name}",
        "task_run": task_run,
        "artifact_rows": artifact_rows,
        "state_type": state_type,
        "flow_run": flow_run,
        "created": task_run.created.timestamp(),
        "start": start,
        "end": end,
        "duration": duration_of(start, end, state_type),
        "history": [
            {"type": t.type, "name": t.name, "message": t.message, "ts": t.timestamp.timestamp()}
            for t in task_run.transitions
        ],
        "inputs": inputs,
        "upstream_names": upstream_names,
        "result": result,
        "logs": [log_json(row) for row in log_lines],
        "log_total": log_total,
        "log_level": log_level.strip().upper() if log_level.strip().upper() in LOG_LEVELS else "",
        "log_levels": [name for name in LOG_LEVELS if name],
        "q": text,
        "problems": problems,
    }
    response = ui.render(request, "task_run.html", context)
    response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def _inputs(conn: Any, raw: dict[str, list[UUID]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each input with the upstream runs it came from (the first ``MAX_UPSTREAM``),
    and the names of those task runs."""
    from headwater.server.store.run_views import read_task_run_names

    items = []
    wanted: set[UUID] = set()
    for name, ids in sorted(raw.items()):
        shown = list(ids)[:MAX_UPSTREAM]
        items.append(
            {
                "name": SPECIAL_INPUTS.get(name, name),
                "subflow": name == "__subflow_run__",
                "ids": [str(i) for i in shown],
                "more": max(0, len(ids) - len(shown)),
            }
        )
        if name != "__subflow_run__":
            wanted.update(shown)
    return items, read_task_run_names(conn, task_run_ids=wanted)
