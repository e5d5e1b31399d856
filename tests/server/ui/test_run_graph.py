"""The flow run page's graph and timeline, the failure card and the log pages,
against a real server and Chromium: a 10,000-task-run graph renders and answers a
click in time; a mapped node unfolds; a running flow's graph grows live; a failed
run shows its error on top; the logs page through every line, filter by task and
download as text."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import client_env
from tests.server.ui.conftest import screenshot
from tests.server.ui.graph_data import seed_graph_run
from tests.server.ui.run_data import seed_flow_run

FLOWS = """
import sys
import time
from headwater import flow, task, get_run_logger


@task
def extract() -> list[int]:
    return [1, 2, 3]


@task
def double(rows: list[int], i: int) -> int:
    return rows[i] * 2


@task
def total(values: list[int]) -> int:
    return sum(values)


@flow
def pipeline() -> int:
    rows = extract.submit()
    doubled = [double.submit(rows, i) for i in range(3)]
    return total.submit(doubled, wait_for=[rows]).result()


@task
def step(i: int) -> int:
    time.sleep(1.5)
    return i


@flow
def growing(n: int = 6) -> None:
    previous = None
    for i in range(n):
        previous = step.submit(i, wait_for=[previous] if previous else None)
        previous.wait()


@task
def load() -> None:
    raise ValueError("bad row 17")


@flow
def broken() -> None:
    load()


if __name__ == "__main__":
    {"pipeline": pipeline, "growing": growing, "broken": broken}[sys.argv[1]]()
"""


@pytest.fixture(scope="module")
def flows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flows") / "graph_flows.py"
    path.write_text(textwrap.dedent(FLOWS))
    return path


def _run_flow(
    server: ServerProcess, home: Path, flows_file: Path, name: str, *, wait: bool = True
) -> Any:
    env = client_env(home.parent / "client", server.api_url)
    command = [sys.executable, str(flows_file), name]
    if not wait:
        return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    subprocess.run(command, env=env, timeout=90, stderr=subprocess.DEVNULL)
    return _latest_run(server, name)


def _latest_run(server: ServerProcess, flow_name: str) -> dict[str, Any] | None:
    body = {"limit": 50, "sort": "START_TIME_DESC"}
    runs = httpx.post(f"{server.api_url}/flow_runs/filter", json=body).json()["results"]
    return next((run for run in runs if run["flow_name"] == flow_name), None)


def _db(home: Path) -> str:
    return f"sqlite:///{home / 'headwater.db'}"


def test_graph_of_10000_task_runs_renders_fast_and_a_click_opens_the_task_run(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run = seed_graph_run(_db(ui_home), layers=100, width=100)
    url = f"{ui_server.url}/flow-runs/{run['id']}"
    page.goto(url)  # once, so the timing below is of this page, not of a cold server
    expect(page.locator("#graph-canvas")).to_have_attribute("data-ready", "true")
    page.goto("about:blank")
    started = time.perf_counter()
    page.goto(url)
    expect(page.locator("#graph-canvas")).to_have_attribute("data-nodes", "10000", timeout=5000)
    # Interactive: the wheel zooms around the pointer, the node under it is found.
    position = "(id) => window.hwRunGraph.screenPosition(id)"
    spot = page.evaluate(position, str(run["first"]))
    zoom = page.evaluate("window.hwRunGraph.view.k")
    page.mouse.move(spot["x"], spot["y"])
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"window.hwRunGraph.view.k > {zoom}")
    spot = page.evaluate(position, str(run["first"]))
    page.mouse.move(spot["x"] + 1, spot["y"])
    expect(page.locator("#graph-tip")).to_contain_text("step0-0: Completed")
    elapsed = time.perf_counter() - started
    assert elapsed <= 2.0, f"the 10,000-node graph took {elapsed:.2f} s to be usable"
    graph = page.evaluate("window.hwRunGraph.graph")
    assert len(graph["edges"]) == 99 * 100 * 2
    retried = next(n for n in graph["nodes"] if n["id"] == str(run["retried"]))
    assert retried["retries"] == 2
    # Drag pans (it does not click); then a click on a node opens its task run.
    before = page.evaluate("window.hwRunGraph.view")
    page.mouse.move(spot["x"] + 300, spot["y"] + 200)
    page.mouse.down()
    page.mouse.move(spot["x"] + 400, spot["y"] + 250, steps=4)
    page.mouse.up()
    after = page.evaluate("window.hwRunGraph.view")
    assert (after["x"], after["y"]) == (before["x"] + 100, before["y"] + 50)
    assert page.url == url
    page.locator("#run-graph").scroll_into_view_if_needed()
    screenshot(page, "ui-run-graph.png")
    spot = page.evaluate(position, str(run["retried"]))
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_url(f"**/task-runs/{run['retried']}")
    expect(page.locator("h1")).to_contain_text("step1-0")


def test_graph_endpoints_lay_out_positions_and_404_on_unknown_runs(
    ui_server: ServerProcess, ui_home: Path
) -> None:
    run = seed_graph_run(_db(ui_home), layers=3, width=4, mapped=12)
    for base in (f"{ui_server.url}/flow-runs", f"{ui_server.api_url}/flow_runs"):
        graph = httpx.get(f"{base}/{run['id']}/graph").json()
        assert graph["task_runs"] == 3 * 4 + 12
        assert len(graph["nodes"]) == 3 * 4 + 1  # the 12 mapped calls are one node
        by_id = {node["id"]: node for node in graph["nodes"]}
        mapped = by_id[f"g-{run['mapped']}"]
        expected = ("mapped", 12, "score \u00d712")
        assert (mapped["kind"], mapped["members"], mapped["label"]) == expected
        first = by_id[str(run["first"])]
        # Layered: a node's layer is right of every parent's.
        for source, target in graph["edges"]:
            assert graph["nodes"][source]["x"] < graph["nodes"][target]["x"]
        assert mapped["x"] > first["x"]
        unfolded = httpx.get(f"{base}/{run['id']}/graph", params={"expand": mapped["id"]}).json()
        assert len(unfolded["nodes"]) == 3 * 4 + 12
        missing = httpx.get(f"{base}/0190a1b2-0000-7000-8000-000000000000/graph")
        assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    malformed = httpx.get(f"{ui_server.api_url}/flow_runs/nope/graph")
    assert malformed.status_code == 422 and malformed.json()["detail"]


def test_mapped_node_unfolds_on_click_and_folds_back(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run = seed_graph_run(_db(ui_home), layers=2, width=3, mapped=40)
    page.goto(f"{ui_server.url}/flow-runs/{run['id']}")
    canvas = page.locator("#graph-canvas")
    expect(canvas).to_have_attribute("data-nodes", str(2 * 3 + 1))
    expect(page.locator("#graph-summary")).to_contain_text("1 folded")
    node = f"g-{run['mapped']}"
    spot = page.evaluate("(id) => window.hwRunGraph.screenPosition(id)", node)
    page.mouse.move(spot["x"], spot["y"])
    expect(page.locator("#graph-tip")).to_contain_text("score \u00d740: 40 calls (40 completed)")
    page.mouse.click(spot["x"], spot["y"])
    expect(canvas).to_have_attribute("data-nodes", str(2 * 3 + 40))
    assert page.url.endswith(f"/flow-runs/{run['id']}")  # unfolding does not navigate
    page.locator("#graph-collapse").click()
    expect(canvas).to_have_attribute("data-nodes", str(2 * 3 + 1))
    expect(page.locator("#graph-collapse")).to_be_hidden()


def test_graph_of_a_real_flow_follows_inputs_and_wait_for(
    ui_server: ServerProcess, ui_home: Path, flows_file: Path
) -> None:
    run = _run_flow(ui_server, ui_home, flows_file, "pipeline")
    assert run is not None and run["state"]["type"] == "COMPLETED"
    graph = httpx.get(f"{ui_server.url}/flow-runs/{run['id']}/graph").json()
    labels = [node["label"] for node in graph["nodes"]]
    assert sorted(labels) == ["double \u00d73", "extract-0", "total-0"], labels
    named = {node["label"]: i for i, node in enumerate(graph["nodes"])}
    assert sorted(tuple(edge) for edge in graph["edges"]) == sorted(
        [(named["extract-0"], named["double \u00d73"]), (named["double \u00d73"], named["total-0"]),
         (named["extract-0"], named["total-0"])]
    )  # fmt: skip


def test_graph_and_timeline_grow_while_the_run_goes(
    ui_server: ServerProcess, ui_home: Path, flows_file: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    process = _run_flow(ui_server, ui_home, flows_file, "growing", wait=False)
    try:
        deadline = time.monotonic() + 30
        run = None
        while run is None and time.monotonic() < deadline:
            run = _latest_run(ui_server, "growing")
            time.sleep(0.2)
        assert run is not None
        page.goto(f"{ui_server.url}/flow-runs/{run['id']}")
        canvas = page.locator("#graph-canvas")
        expect(canvas).to_have_attribute("data-ready", "true")
        first = int(canvas.get_attribute("data-nodes") or 0)
        assert first < 6, "the flow should still be running"
        expect(canvas).to_have_attribute("data-nodes", "6", timeout=30_000)
        expect(page.locator("#timeline-canvas")).to_have_attribute("data-bars", "6")
        graph = page.evaluate("window.hwRunGraph.graph")
        assert len(graph["edges"]) == 5  # a chain, through wait_for
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_timeline_draws_one_bar_per_call_with_retry_segments_and_zooms(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run = seed_graph_run(_db(ui_home), layers=3, width=3, mapped=5)
    page.goto(f"{ui_server.url}/flow-runs/{run['id']}")
    canvas = page.locator("#timeline-canvas")
    expect(canvas).to_have_attribute("data-bars", str(9 + 5))  # mapped calls: a bar each
    bars = page.evaluate("window.hwRunTimeline.data.bars")
    retried = next(bar for bar in bars if bar[0] == str(run["retried"]))
    assert [segment[2] for segment in retried[6]] == ["FAILED", "FAILED", "COMPLETED"]
    expect(page.locator("#timeline-summary")).to_contain_text("1 retried")
    span = page.evaluate("window.hwRunTimeline.window.span")
    page.locator("#timeline [data-timeline=zoom-in]").click()
    assert page.evaluate("window.hwRunTimeline.window.span") == pytest.approx(span / 2)
    page.locator("#timeline [data-timeline=reset]").click()
    assert page.evaluate("window.hwRunTimeline.window.span") == pytest.approx(span)
    # The first row is the earliest call; a click on its name opens its task run.
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 22 + 8)
    page.wait_for_url(f"**/task-runs/{bars[0][0]}")


def test_failed_run_shows_the_failing_task_error_and_traceback_on_top(
    ui_server: ServerProcess, ui_home: Path, flows_file: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run = _run_flow(ui_server, ui_home, flows_file, "broken")
    assert run is not None and run["state"]["type"] == "FAILED"
    page.goto(f"{ui_server.url}/flow-runs/{run['id']}")
    card = page.locator("#failure")
    expect(card).to_contain_text("Failed in task load-0")
    expect(card.locator(".failure-message")).to_contain_text("ValueError: bad row 17")
    expect(card.locator("pre.traceback")).to_contain_text("Traceback (most recent call last)")
    expect(card.locator("pre.traceback")).to_contain_text('raise ValueError("bad row 17")')
    # On top: above the run's cards, the graph and the logs.
    top = card.bounding_box()["y"]
    assert top < page.locator(".run-cards").bounding_box()["y"]
    assert top < page.locator("#run-graph").bounding_box()["y"]
    card.get_by_role("link", name="load-0").click()
    expect(page.locator("h1")).to_contain_text("load-0")
    # A run that did not fail has no such card.
    done = seed_graph_run(_db(ui_home), layers=1, width=1)
    page.goto(f"{ui_server.url}/flow-runs/{done['id']}")
    expect(page.locator("#run-state .badge")).to_have_text("Completed")
    expect(page.locator("#failure")).to_have_count(0)


def test_logs_page_through_every_line_filter_by_task_and_download(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run_id = seed_flow_run(_db(ui_home), tasks=24, task_names=3, log_lines=650, seconds=30)
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    lines = page.locator("#log-lines .log-line")
    expect(lines).to_have_count(200)
    expect(page.locator("#log-page-note")).to_contain_text("200 of 650 lines")
    seen: list[str] = []
    for _ in range(10):
        ids = lines.evaluate_all("(els) => els.map((el) => el.dataset.id)")
        seen = ids + seen
        older = page.locator("#logs-older")
        if not older.count():
            break
        with page.expect_navigation():
            older.click()
    assert len(seen) == 650 and len(set(seen)) == 650, len(seen)
    expect(lines).to_have_count(50)
    page.locator("#logs-newer").click()
    expect(lines).to_have_count(200)
    page.locator("#logs-newest").click()
    expect(page.locator("#logs-newer")).to_have_count(0)
    # Filter by task: only that task's lines, every page of them.
    page.locator("#log_task").select_option(label="clean")
    page.locator("form.log-filters button[type=submit]").click()
    expect(page.locator("#log-count")).to_contain_text("matching")
    tasks = page.locator("#log-lines .log-task").all_inner_texts()
    assert tasks and all(name.startswith("clean-") for name in tasks), set(tasks)
    shown = int(page.locator("#log-count").inner_text().strip("() matching").replace(",", ""))
    # Download: the same filter, every line, as text.
    with page.expect_download() as info:
        page.locator("#logs-download").click()
    text = Path(info.value.path()).read_text()
    assert len(text.splitlines()) == shown and all(" clean-" in line for line in text.splitlines())
    page.locator("#log_task").select_option(label="The flow itself")
    page.locator("form.log-filters button[type=submit]").click()
    expect(page.locator("#log-lines .log-task a")).to_have_count(0)
    answer = httpx.get(f"{ui_server.url}/flow-runs/{run_id}/logs.txt")
    assert answer.headers["content-type"].startswith("text/plain")
    assert "attachment" in answer.headers["content-disposition"]
    assert len(answer.text.splitlines()) == 650
    bad = httpx.get(f"{ui_server.url}/flow-runs/{run_id}/logs.txt", params={"level": "LOUD"})
    assert bad.status_code == 422 and "log level" in bad.json()["detail"]
    page.goto(f"{ui_server.url}/flow-runs/{run_id}?log_before=garbage#logs")
    expect(page.locator(".notice.error")).to_contain_text("That log page link is not valid")
    expect(lines).to_have_count(200)
