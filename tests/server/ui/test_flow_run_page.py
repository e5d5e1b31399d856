"""The flow run page against a real server and Chromium: a finished run with tasks,
a subflow and logs; live logs, task table, counts and "Logs (N)" and Cancel of a
running flow; polling backing off; Retry; the timeline of 2,000 task runs; 404s.
The graph, the failure card and log paging: test_run_graph.py."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import Process, client_env
from tests.server.ui._run_data import make_run
from tests.server.ui.conftest import screenshot
from tests.server.ui.run_data import seed_flow_run

FLOWS = """
import time
from headwater import flow, task, get_run_logger


@task
def add(x: int) -> int:
    get_run_logger().info("adding %d", x)
    return x + 1


@task
def boom() -> None:
    raise ValueError("boom on purpose")


@flow
def child(n: int) -> int:
    get_run_logger().warning("child got %d", n)
    return n


@flow
def parent(n: int = 5) -> int:
    total = sum(add.map(range(n)).result())
    child(3)
    boom.submit(return_state=True).wait()
    get_run_logger().error("a needle in the logs")
    return total


@flow
def stepping(steps: int = 30) -> None:
    for i in range(steps):
        add(i)
        time.sleep(0.3)


@flow
def slow(steps: int = 600) -> None:
    for i in range(steps):
        get_run_logger().info("step %d", i)
        time.sleep(0.1)


if __name__ == "__main__":
    parent(n=5)
"""


def _wait(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def flows_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flows") / "ui_flows.py"
    path.write_text(textwrap.dedent(FLOWS))
    return path


def _scheduled_run(
    server: ServerProcess, flows_file: Path, flow: str, name: str, **parameters: Any
) -> str:
    """A Scheduled run of ``flow`` in ``flows_file``, for ``headwater.engine`` to run."""
    created = httpx.post(
        f"{server.api_url}/flow_runs",
        json={
            "flow_name": flow,
            "name": name,
            "entrypoint": f"{flows_file}:{flow}",
            "parameters": parameters,
            "state": {"type": "SCHEDULED"},
        },
    )
    created.raise_for_status()
    return str(created.json()["id"])


@pytest.fixture(scope="module")
def finished_run(ui_server: ServerProcess, flows_file: Path, ui_home: Path) -> dict[str, Any]:
    """A completed ``parent`` run (5 tasks, a failed one, a subflow, logs) made by a
    real flow process talking to the server."""
    env = client_env(ui_home.parent / "client", ui_server.api_url)
    subprocess.run([sys.executable, str(flows_file)], env=env, check=True, timeout=60)
    runs = httpx.post(f"{ui_server.api_url}/flow_runs/filter", json={"limit": 10}).json()
    return next(run for run in runs["results"] if run["flow_name"] == "parent")


def test_finished_run_shows_state_tasks_subflow_and_logs(
    ui_server: ServerProcess, finished_run: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/flow-runs/{finished_run['id']}")
    expect(page.locator("#run-state .badge")).to_have_text("Completed")
    expect(page.locator("#live-status")).to_have_text("")
    expect(page.locator("#cancel-form")).to_be_hidden()
    expect(page.locator("#retry-form")).to_be_hidden()
    assert page.locator("#state-history li").count() >= 2
    expect(page.locator("pre.parameters")).to_contain_text('"n": 5')
    expect(page.locator("#task-total")).to_have_text("7")  # 5 adds, the subflow, boom
    expect(page.locator("#graph-canvas")).to_have_attribute("data-ready", "true")
    labels = page.evaluate("window.hwRunGraph.graph.nodes.map((n) => n.label)")
    assert "add \u00d75" in labels and "boom-0" in labels, labels  # the mapped adds folded
    expect(page.locator("#timeline-canvas")).to_have_attribute("data-bars", "7")
    table = page.locator("#task-runs tbody tr")
    expect(table).to_have_count(7)
    expect(page.locator("#subflows")).to_contain_text("child")
    expect(page.locator("#log-lines")).to_contain_text("a needle in the logs")
    page.locator(".count-chip", has_text="Failed").click()
    expect(page.locator("#task-runs tbody tr")).to_have_count(1)
    expect(page.locator("#task-runs tbody")).to_contain_text("boom-0")
    page.locator("#subflows a").first.click()
    expect(page.locator("#run-state .badge")).to_have_text("Completed")
    expect(page.locator("h1")).to_contain_text("child")
    expect(page.get_by_role("link", name=finished_run["id"][:8])).to_be_visible()


def test_log_level_filter_and_search(
    ui_server: ServerProcess, finished_run: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/flow-runs/{finished_run['id']}")
    page.get_by_label("Level").select_option("ERROR")
    page.get_by_role("button", name="Filter").click()
    lines = page.locator("#log-lines .log-line")
    expect(lines.first).to_be_visible()
    levels = set(lines.locator(".log-level").all_inner_texts())
    assert levels <= {"ERROR", "CRITICAL"} and "ERROR" in levels
    expect(page.locator("#log-lines")).to_contain_text("a needle in the logs")
    page.get_by_label("Level").select_option("")
    page.get_by_label("Search").fill("adding 3")
    page.get_by_role("button", name="Filter").click()
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("adding 3")
    expect(lines.first.locator(".log-task a")).to_have_text("add-3")
    page.get_by_label("Search").fill("nothing like this")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#log-empty")).to_be_visible()
    bad = httpx.get(f"{ui_server.url}/flow-runs/{finished_run['id']}?log_level=LOUD&task_state=x")
    assert bad.status_code == 200
    assert "Unknown log level" in bad.text and "Unknown task state" in bad.text


def test_running_flow_tails_logs_live_and_is_cancelled_from_its_page(
    ui_server: ServerProcess, flows_file: Path, ui_home: Path, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    run_id = _scheduled_run(ui_server, flows_file, "slow", "slow-to-cancel", steps=600)
    env = client_env(ui_home.parent / "engine", ui_server.api_url)
    engine = Process(["-m", "headwater.engine", run_id], env, tmp_path / "engine.log").start()
    try:
        page.goto(f"{ui_server.url}/flow-runs/{run_id}")
        expect(page.locator("#live-status")).to_have_text("Live")
        lines = page.locator("#log-lines .log-line")
        expect(page.locator("#run-state .badge")).to_have_text("Running", timeout=20_000)
        # One message exactly: the list's text runs lines together ("step 1" then a
        # line stamped "20:…" reads "step 120:…"), so a substring can match too early.
        messages = page.locator("#log-lines .log-message")
        expect(messages.filter(has_text=re.compile(r"^step 3$"))).to_have_count(1, timeout=10_000)
        seen = lines.count()
        step = re.compile(rf"^step {seen + 5}$")
        expect(messages.filter(has_text=step)).to_have_count(1, timeout=10_000)
        assert lines.count() > seen, "new lines were appended without a reload"
        page.evaluate("window.__sameDocument = true")
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Cancel run").click()
        expect(page.locator("#run-state .badge")).to_have_text("Cancelled", timeout=15_000)
        assert page.evaluate("window.__sameDocument") is True, "the page was not reloaded"
        expect(page.locator("#live-status")).to_have_text("")
        expect(page.locator("#cancel-form")).to_be_hidden()
        expect(page.locator("#retry-form button")).to_be_disabled()
        expect(page.locator("#retry-why")).to_contain_text("headwater flow-run retry")
        assert engine.process is not None
        engine.process.wait(15)
    finally:
        engine.stop()
    state = httpx.get(f"{ui_server.api_url}/flow_runs/{run_id}").json()["state"]
    assert state["type"] == "CANCELLED", engine.log()


def test_retry_of_a_failed_deployment_run_schedules_it_again(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    from headwater.server.db.database import get_database
    from headwater.server.store import flow_runs
    from headwater.states import Failed, Running
    from tests.deployment_helpers import apply, run_of

    db = get_database(f"sqlite:///{ui_home / 'headwater.db'}")
    deployment = apply(db, name="retry-me")
    run = run_of(db, deployment.id)
    with db.begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=Running(), force=True)
        flow_runs.set_flow_run_state(
            conn, flow_run_id=run["id"], state=Failed(message="boom"), force=True
        )
    page.goto(f"{ui_server.url}/flow-runs/{run['id']}")
    expect(page.locator("#run-state .badge")).to_have_text("Failed")
    expect(page.get_by_role("link", name="retry-me")).to_be_visible()
    expect(page.locator("#retry-why")).to_be_hidden()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#run-state .badge")).to_have_text("AwaitingRetry")
    expect(page.locator("#state-history")).to_contain_text("AwaitingRetry")
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator("#cancel-form")).to_be_visible()
    expect(page.locator("#retry-form")).to_be_hidden()
    answer = httpx.get(f"{ui_server.api_url}/flow_runs/{run['id']}").json()
    assert answer["state"]["type"] == "SCHEDULED" and answer["run_count"] == 1
    # Not retryable any more: the POST says why (a page redirect with the problem).
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/about")
        again = client.post(
            f"/flow-runs/{run['id']}/retry", data={"csrf_token": client.cookies["hw_csrf"]}
        )
        assert again.status_code == 303 and "problem=" in again.headers["location"]


def test_timeline_of_2000_task_runs_draws_every_call_on_a_canvas(
    ui_server: ServerProcess, ui_home: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    run_id = seed_flow_run(f"sqlite:///{ui_home / 'headwater.db'}", tasks=2000, log_lines=300)
    started = time.perf_counter()
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    expect(page.locator("#timeline-canvas")).to_have_attribute("data-bars", "2000")
    elapsed = time.perf_counter() - started
    expect(page.locator("#timeline-summary")).to_contain_text("2,000 task run calls")
    # One canvas, not thousands of elements.
    assert page.evaluate("document.getElementsByTagName('*').length") < 3000
    expect(page.locator("#task-runs tbody tr")).to_have_count(50)
    page.get_by_role("link", name="Older →").first.click()
    expect(page.locator("#task-runs tbody tr")).to_have_count(50)
    assert elapsed < 10
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    expect(page.locator("#graph-canvas")).to_have_attribute("data-ready", "true")
    page.locator("#run-graph").scroll_into_view_if_needed()
    screenshot(page, "ui-flow-run.png")


def test_unknown_and_malformed_ids_are_friendly_404s(ui_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    page.expected_statuses = {404}
    page.goto(f"{ui_server.url}/flow-runs/0190a1b2-0000-7000-8000-000000000000")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("flow run 0190a1b2-0000-7000-8000-000000000000")
    for path in (
        "/flow-runs/not-an-id",
        "/flow-runs/not-an-id/live",
        "/flow-runs/not-an-id/graph",
        "/flow-runs/not-an-id/timeline",
        "/flow-runs/not-an-id/logs.txt",
        "/task-runs/zzz",
    ):
        answer = httpx.get(f"{ui_server.url}{path}")
        assert answer.status_code == 404 and "not found" in answer.text, path
    answer = httpx.get(f"{ui_server.url}/flow-runs/0190a1b2-0000-7000-8000-000000000000/live")
    assert answer.status_code == 404


def _completed(page: Any) -> int:
    chip = page.locator("#task-counts .count-chip").filter(has_text="Completed")
    return int(chip.locator(".num").inner_text()) if chip.count() else 0


def _log_count(page: Any) -> int:
    return int(re.sub(r"\D", "", page.locator("#log-count").inner_text()) or 0)


def test_task_table_counts_and_log_count_grow_without_a_reload(
    ui_server: ServerProcess, flows_file: Path, ui_home: Path, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    steps = 30
    run_id = _scheduled_run(ui_server, flows_file, "stepping", "stepping-live", steps=steps)
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#task-runs .empty")).to_have_text("No task runs.")
    assert _log_count(page) == 0
    env = client_env(ui_home.parent / "engine-live", ui_server.api_url)
    engine = Process(["-m", "headwater.engine", run_id], env, tmp_path / "engine.log").start()
    try:
        rows = page.locator("#task-runs tbody tr")
        expect(page.locator("#run-state .badge")).to_have_text("Running", timeout=20_000)
        page.wait_for_function(
            "document.querySelectorAll('#task-runs tbody tr').length >= 3", timeout=20_000
        )
        seen_rows, seen_done, seen_logs = rows.count(), _completed(page), _log_count(page)
        assert seen_done >= 1 and seen_logs >= 1
        # Still going: more rows, a higher Completed count, more log lines.
        page.wait_for_function(
            f"document.querySelectorAll('#task-runs tbody tr').length > {seen_rows}",
            timeout=15_000,
        )
        assert page.locator("#live-status").inner_text() == "Live"
        expect(page.locator("#run-state .badge")).to_have_text("Completed", timeout=30_000)
        assert engine.process is not None
        engine.process.wait(15)
    finally:
        engine.stop()
    expect(rows).to_have_count(steps)
    assert _completed(page) == steps > seen_done
    expect(page.locator("#task-total")).to_have_text(str(steps))
    expect(rows.first.locator("td").first).to_contain_text("add-")
    expect(page.locator("#live-status")).to_have_text("")
    final_logs = _log_count(page)
    assert final_logs > seen_logs
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    # What the live page shows is what a fresh render shows.
    page.reload()
    expect(rows).to_have_count(steps)
    assert _completed(page) == steps
    assert _log_count(page) == final_logs
    live = httpx.get(
        f"{ui_server.url}/flow-runs/{run_id}/live", params={"tasks": "1", "level": "INFO"}
    ).json()
    assert live["final"] is True and live["counts"] == {"COMPLETED": steps}
    assert live["log_total"] <= final_logs and 'id="task-runs-live"' in live["tasks_html"]
    filtered = httpx.get(
        f"{ui_server.url}/flow-runs/{run_id}/live", params={"tasks": "1", "task_state": "FAILED"}
    ).json()
    assert "No task runs in state Failed." in filtered["tasks_html"]
    assert httpx.get(f"{ui_server.url}/flow-runs/{run_id}/live").json()["tasks_html"] is None


def test_polling_backs_off_while_the_server_fails_and_stops_when_final(
    ui_server: ServerProcess, page: Any
) -> None:
    from playwright.sync_api import expect

    run_id = make_run(ui_server, "live-backoff", "backoff-run", "RUNNING")
    calls: list[float] = []
    page.expected_statuses = {429}

    def refuse(route: Any) -> None:
        calls.append(time.monotonic())
        route.fulfill(status=429, body='{"detail": "slow down"}')

    page.route(re.compile(r"/flow-runs/[^/]+/live\?"), refuse)
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    page.wait_for_timeout(8_500)
    # Every second would be 8 calls; doubling after each failure (1, 2, 4 s) is 3.
    assert 2 <= len(calls) <= 4, calls
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps == sorted(gaps) and gaps[-1] >= 1.8, gaps
    page.unroute(re.compile(r"/flow-runs/[^/]+/live\?"))
    httpx.post(
        f"{ui_server.api_url}/flow_runs/{run_id}/set_state",
        json={"state": {"type": "COMPLETED"}, "force": True},
    ).raise_for_status()
    # Back to a working server: the next poll (at most 30 s away) shows it final.
    expect(page.locator("#run-state .badge")).to_have_text("Completed", timeout=40_000)
    expect(page.locator("#live-status")).to_have_text("")
