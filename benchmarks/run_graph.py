"""The run graph at 10,000 task runs: server time of its endpoint, against reading
the same task runs through the API, and the time to a usable graph in Chromium.

Makes a fresh home whose SQLite store holds one finished flow run with a grid of
``--layers`` x ``--width`` task runs (each fed by two of the previous layer: an
input and a ``wait_for``), written through the store functions; starts
``headwater server start`` on it; then reports, medians of ``--repeat``:

- ``graph``: ``GET /flow-runs/{id}/graph`` built afresh each time (a distinct
  ``expand=`` defeats the cache of finished runs): ``server_ms`` (its
  ``Server-Timing``: the read, the layout and the JSON) and ``get_ms`` (the whole
  GET as a client sees it), and ``bytes``;
- ``graph_cached``: the same URL again (a finished run's graph is kept);
- ``timeline``: ``GET /flow-runs/{id}/timeline`` (one bar per call), first read;
- ``baseline_read_all``: what a client pays to fetch the same task runs with no
  layout: ``POST /api/task_runs/filter`` for this run, page after page (keyset);
- ``browser``: navigation start to the graph drawn (``data-ready``) in Debian's
  Chromium, headless, a fresh context each time.

    .venv/bin/python benchmarks/run_graph.py [--layers 100] [--width 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_run_page import CHROMIUM, CHROMIUM_ARGS


def _timed_get(client: httpx.Client, url: str, **params: Any) -> tuple[float, float, int]:
    started = time.perf_counter()
    answer = client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    header = answer.headers.get("server-timing", "")
    server = float(header.split("dur=")[1].split(";")[0].split(",")[0]) if "dur=" in header else 0
    return server, elapsed, len(answer.content)


def _figures(samples: list[tuple[float, float, int]]) -> dict[str, float]:
    return {
        "server_ms": round(statistics.median(s[0] for s in samples), 1),
        "get_ms": round(statistics.median(s[1] for s in samples), 1),
        "bytes": samples[-1][2],
    }


def _read_all(client: httpx.Client, api: str, run_id: str) -> tuple[float, int]:
    started = time.perf_counter()
    body: dict[str, Any] = {"task_runs": {"flow_run_ids": [run_id]}, "limit": 200}
    count = 0
    while True:
        page = client.post(f"{api}/task_runs/filter", json=body)
        page.raise_for_status()
        data = page.json()
        count += len(data["results"])
        if not data.get("next_cursor"):
            break
        body["cursor"] = data["next_cursor"]
    return (time.perf_counter() - started) * 1000, count


def _browser(url: str, nodes: int, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            page = context.new_page()
            page.goto(url, wait_until="commit")
            page.wait_for_selector(f"#graph-canvas[data-nodes='{nodes}']", timeout=60_000)
            times.append(page.evaluate("performance.now()"))
            context.close()
        browser.close()
    return {"graph_ready_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=100)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    from ui_run_page import start_server

    from tests.server.ui.graph_data import seed_graph_run

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HEADWATER_HOME"] = str(home)
        run = seed_graph_run(
            f"sqlite:///{home / 'headwater.db'}", layers=args.layers, width=args.width
        )
        run_id = str(run["id"])
        server, base = start_server(home, Path(tmp))
        api = f"{base}/api"
        graph_url = f"{base}/flow-runs/{run_id}/graph"
        result: dict[str, Any] = {"task_runs": args.layers * args.width}
        try:
            with httpx.Client(timeout=120) as client:
                _timed_get(client, graph_url, expand="warm")  # imports, statements cached
                _read_all(client, api, run_id)
                fresh = [
                    _timed_get(client, graph_url, expand=f"bench-{i}") for i in range(args.repeat)
                ]
                result["graph"] = _figures(fresh)
                cached = [_timed_get(client, graph_url) for _ in range(args.repeat + 1)][1:]
                result["graph_cached"] = _figures(cached)
                result["timeline"] = _figures([_timed_get(client, f"{graph_url[:-6]}/timeline")])
                reads = [_read_all(client, api, run_id) for _ in range(args.repeat)]
                assert all(n == result["task_runs"] for _, n in reads), reads
                result["baseline_read_all"] = {
                    "get_ms": round(statistics.median(ms for ms, _ in reads), 1)
                }
            result["graph_vs_read_all"] = round(
                result["graph"]["get_ms"] / result["baseline_read_all"]["get_ms"], 2
            )
            if not args.no_browser:
                page_url = f"{base}/flow-runs/{run_id}"
                result["browser"] = _browser(page_url, result["task_runs"], args.repeat)
        finally:
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
