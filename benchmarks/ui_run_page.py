"""The flow run page at 10,000 task runs: server time and load time in Chromium.

Makes a fresh home whose SQLite store holds one finished flow run with N task runs
(12 tasks, about 1 % failed) and some log lines, written through the store
functions; starts ``headwater server start`` on it; then, for the run page and
for ``/about`` (the baseline: the same layout with almost nothing in it), reports

- ``server_ms``: the page's own ``Server-Timing`` (reads + render), and the full
  GET as a client sees it (``get_ms``), medians of several requests;
- ``load_ms``: navigation start → load event in Chromium (Debian's, headless),
  median of several fresh loads, ``dom_nodes``, and ``graph_ready_ms``: navigation
  start → the run graph and the timeline drawn (their canvases' ``data-ready``).

    .venv/bin/python benchmarks/ui_run_page.py [--tasks 10000] [--logs 2000] [--repeat 5]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CHROMIUM = os.environ.get("HEADWATER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _server_figures(url: str, repeat: int) -> dict[str, float]:
    timings, gets = [], []
    with httpx.Client(timeout=30) as client:
        client.get(url)  # warm: templates compiled, statements cached
        for _ in range(repeat):
            started = time.perf_counter()
            answer = client.get(url)
            gets.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            header = answer.headers.get("server-timing", "")
            if "dur=" in header:
                timings.append(float(header.split("dur=")[1].split(",")[0]))
    figures = {"get_ms": round(statistics.median(gets), 1), "bytes": len(answer.content)}
    if timings:
        figures["server_ms"] = round(statistics.median(timings), 1)
    return figures


def _browser_figures(browser: Any, url: str, repeat: int) -> dict[str, Any]:
    loads, nodes, ready = [], 0, []
    errors: list[str] = []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="load")
        nav = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {load: n.loadEventEnd - n.startTime,"
            " dcl: n.domContentLoadedEventEnd - n.startTime}; }"
        )
        loads.append(nav["load"])
        nodes = page.evaluate("() => document.getElementsByTagName('*').length")
        if page.locator("#graph-canvas").count():
            page.wait_for_selector("#graph-canvas[data-ready=true]", timeout=60_000)
            page.wait_for_selector("#timeline-canvas[data-ready=true]", timeout=60_000)
            ready.append(page.evaluate("performance.now()"))
        context.close()
        if errors:
            raise RuntimeError(f"page errors on {url}: {errors}")
    return {
        "load_ms": round(statistics.median(loads), 1),
        "load_ms_max": round(max(loads), 1),
        "dom_nodes": nodes,
        "graph_ready_ms": round(statistics.median(ready), 1) if ready else None,
    }


def start_server(home: Path, tmp: Path) -> tuple[Any, str]:
    """``headwater server start`` on ``home`` (a free port, no other ``HEADWATER_``
    settings), started; the server and its base URL."""
    from _server_proc import Server, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env["HEADWATER_HOME"] = str(home)
    server = Server(
        [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/api/health",
        tmp / "server.log",
    )
    server.start()
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.server.ui.run_data import seed_flow_run

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HEADWATER_HOME"] = str(home)
        url = f"sqlite:///{home / 'headwater.db'}"
        started = time.perf_counter()
        run_id = seed_flow_run(url, tasks=args.tasks, log_lines=args.logs)
        seed_s = time.perf_counter() - started
        server, base = start_server(home, Path(tmp))
        try:
            pages = {"run_page": f"{base}/flow-runs/{run_id}", "about": f"{base}/about"}
            result: dict[str, Any] = {
                "task_runs": args.tasks,
                "log_lines": args.logs,
                "seed_s": round(seed_s, 2),
            }
            for name, page_url in pages.items():
                result[name] = _server_figures(page_url, args.repeat)
            playwright = sync_playwright().start()
            try:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, page_url in pages.items():
                    result[name].update(_browser_figures(browser, page_url, args.repeat))
                browser.close()
            finally:
                playwright.stop()
        finally:
            server.stop()
    result["load_ratio_vs_about"] = round(
        result["run_page"]["load_ms"] / max(result["about"]["load_ms"], 0.1), 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
