"""The task run page against a real server and Chromium: state history with a
retry, where its inputs came from, its persisted result's reference, logs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import client_env
from tests.server.ui.conftest import screenshot

FLOWS = """
from headwater import flow, task, get_run_logger

attempts = []


@task
def load(n: int) -> list[int]:
    return list(range(n))


@task(retries=1, persist_result=True, cache_key_fn=lambda ctx, args: f"total-{args['rows']}")
def total(rows: list[int]) -> int:
    attempts.append(1)
    get_run_logger().info("summing %d rows, attempt %d", len(rows), len(attempts))
    if len(attempts) == 1:
        raise RuntimeError("flaky on the first attempt")
    return sum(rows)


@flow
def report(n: int = 4) -> int:
    return total(load(n))


if __name__ == "__main__":
    report()
"""


@pytest.fixture(scope="module")
def task_run(
    ui_server: ServerProcess, ui_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    path = tmp_path_factory.mktemp("flows") / "report_flow.py"
    path.write_text(textwrap.dedent(FLOWS))
    env = client_env(ui_home.parent / "client", ui_server.api_url)
    subprocess.run([sys.executable, str(path)], env=env, check=True, timeout=60)
    found = httpx.post(f"{ui_server.api_url}/task_runs/filter", json={"limit": 10}).json()
    results = found["results"] if isinstance(found, dict) else found
    return next(run for run in results if run["name"].startswith("total"))


def test_task_run_page_shows_history_inputs_result_and_logs(
    ui_server: ServerProcess, task_run: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/task-runs/{task_run['id']}")
    expect(page.locator("h1")).to_contain_text("total-0")
    expect(page.locator(".page-head .badge")).to_have_text("Completed")
    history = page.locator(".state-history li")
    expect(history.first).to_contain_text("Pending")
    texts = " ".join(history.all_inner_texts())
    assert "Retrying" in texts or "AwaitingRetry" in texts, texts
    expect(page.locator("main")).to_contain_text("total-[0, 1, 2, 3]")  # the cache key
    expect(page.get_by_role("link", name="load-0")).to_be_visible()  # where `rows` came from
    result = page.locator(".result-ref")
    expect(result).to_contain_text("Serializer")
    expect(result).to_contain_text("Key")
    lines = page.locator(".log-lines .log-line")
    expect(lines).to_have_count(3)  # two of ours and the engine's retry warning
    expect(lines.last).to_contain_text("attempt 2")
    page.get_by_label("Search").fill("rows, attempt 1")
    page.get_by_role("button", name="Filter").click()
    expect(lines).to_have_count(1)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/task-runs/{task_run['id']}")
    screenshot(page, "ui-task-run.png")
    page.get_by_role("link", name="← Flow run").click()
    expect(page.locator("#run-state .badge")).to_have_text("Completed")


def test_unknown_task_run_is_a_404_page(ui_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    page.expected_statuses = {404}
    page.goto(f"{ui_server.url}/task-runs/0190a1b2-0000-7000-8000-000000000001")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("task run 0190a1b2")
