"""What a flow run page draws and downloads, beside the page itself:

- ``/flow-runs/{id}/graph``: its task runs and subflows as a laid-out DAG (JSON,
  ``store.run_graph``; ``?expand=<node id>`` unfolds a mapped node);
- ``/flow-runs/{id}/timeline``: one bar per task run call (JSON, ``store.run_calls``);
- ``/flow-runs/{id}/logs.txt``: every log line that matches the page's filter, as
  text, streamed.

``static/js/run_graph.js`` draws the first two on canvases and polls them while the
run goes on.  Unknown runs are a JSON 404 (``detail``), as in the API."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from headwater.exceptions import ObjectNotFound
from headwater.server.ui.pages._runs import log_filter
from headwater.server.ui.registry import ui_page

ui = ui_page("flow-runs")
router = ui.router

#: At most this many mapped nodes unfolded at once (``expand=``).
MAX_EXPANDED = 100
_NO_STORE = {"cache-control": "no-store"}
#: Graphs and timelines of finished runs, as JSON, by (what, run, expand, fingerprint):
#: a big run's page is opened again and again once it is over, and it no longer
#: changes (the fingerprint catches a retry or a late write).
CACHE_ENTRIES = 8
_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()
FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


def _json_of(
    request: Request, what: str, run_id: UUID, expand: frozenset[str], build: Any
) -> Response:
    """``build(conn)`` as a JSON response, from the cache when the run is final and
    unchanged; a JSON 404 when there is no such run."""
    from headwater.server.store.run_graph import fingerprint

    started = time.perf_counter()
    db = request.app.state.db
    with db.begin_read() as conn:
        mark = fingerprint(conn, flow_run_id=run_id)
        if mark is None:
            return _not_found(f"flow run {run_id} not found")
        key = (what, run_id, expand, mark)
        with _cache_lock:
            body = _cache.get(key)
            if body is not None:
                _cache.move_to_end(key)
        source = "cache"
        if body is None:
            source = "store"
            try:
                body = json.dumps(build(conn), separators=(",", ":")).encode()
            except ObjectNotFound as exc:  # deleted meanwhile
                return _not_found(str(exc))
            if mark[0] in FINAL_TYPES:
                with _cache_lock:
                    _cache[key] = body
                    while len(_cache) > CACHE_ENTRIES:
                        _cache.popitem(last=False)
    elapsed = (time.perf_counter() - started) * 1000
    headers = {**_NO_STORE, "server-timing": f'app;dur={elapsed:.1f};desc="{source}"'}
    return Response(body, media_type="application/json", headers=headers)


def _run_id(raw: str) -> UUID | JSONResponse:
    try:
        return UUID(raw)
    except ValueError:
        return _not_found(f"flow run {raw[:40]} not found: that is not a flow run id")


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=404, headers=_NO_STORE)


@router.get("/flow-runs/{flow_run_id}/graph")
def flow_run_graph(
    request: Request,
    flow_run_id: str,
    expand: Annotated[list[str] | None, Query()] = None,
) -> Response:
    from headwater.server.store.run_graph import read_run_graph

    run_id = _run_id(flow_run_id)
    if isinstance(run_id, JSONResponse):
        return run_id
    wanted = frozenset(name[:60] for name in (expand or [])[:MAX_EXPANDED])
    return _json_of(
        request,
        "graph",
        run_id,
        wanted,
        lambda conn: read_run_graph(conn, flow_run_id=run_id, expand=wanted),
    )


@router.get("/flow-runs/{flow_run_id}/timeline")
def flow_run_timeline(request: Request, flow_run_id: str) -> Response:
    from headwater.server.store.run_calls import read_run_calls

    run_id = _run_id(flow_run_id)
    if isinstance(run_id, JSONResponse):
        return run_id
    return _json_of(
        request,
        "timeline",
        run_id,
        frozenset(),
        lambda conn: read_run_calls(conn, flow_run_id=run_id),
    )


@router.get("/flow-runs/{flow_run_id}/logs.txt")
def flow_run_log_text(
    request: Request, flow_run_id: str, level: str = "", q: str = "", task: str = ""
) -> Response:
    """Every matching line, oldest first: ``<time> <LEVEL> <task or flow> | <message>``."""
    from headwater.server.store.log_pages import iter_log_text
    from headwater.server.store.run_views import read_flow_run_label

    run_id = _run_id(flow_run_id)
    if isinstance(run_id, JSONResponse):
        return run_id
    level_no, text, problems = log_filter(level, q)
    if problems:
        return JSONResponse({"detail": problems[0]}, status_code=422)
    db = request.app.state.db
    with db.begin_read() as conn:
        run = read_flow_run_label(conn, flow_run_id=run_id)
    if run is None:
        return _not_found(f"flow run {run_id} not found")
    lines = iter_log_text(
        db, flow_run_id=run_id, level_ge=level_no, text=text, task=task.strip()[:300]
    )
    filename = f"{run['flow_name']}-{run['name']}-logs.txt".replace('"', "")
    return StreamingResponse(
        lines,
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"', **_NO_STORE},
    )
