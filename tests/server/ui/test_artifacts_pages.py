"""Artifacts in the UI against a real server and Chromium: a run's Artifacts section,
markdown with a <script> shown inert, a 10,000-row table paged and sortable in well
under a second, progress, images, the Artifacts page and a key's history; and a
paused run resumed from its page with input the flow then uses."""

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

FLOWS = """
import sys
from headwater import flow, task
from headwater.artifacts import (
    create_image_artifact, create_link_artifact, create_markdown_artifact,
    create_progress_artifact, create_table_artifact,
)

IMAGE = sys.argv[1]


@task
def publish_table() -> None:
    rows = [{"id": i, "name": f"row {i:05d}", "score": (i * 37) % 1000} for i in range(10_000)]
    create_table_artifact(rows, key="ui-big-table", description="ten thousand rows")


@flow
def publish() -> None:
    create_markdown_artifact("# First\\nold version", key="ui-report")
    create_markdown_artifact(
        "# Report\\n**bold** text <script>window.__pwned = 1</script> "
        "<img src=x onerror=\\"window.__pwned = 2\\"> [bad](javascript:alert(1))",
        key="ui-report",
        description="the *nightly* report",
    )
    publish_table()
    create_progress_artifact(40, key="ui-progress")
    create_image_artifact(IMAGE, key="ui-image")
    create_link_artifact("https://example.com/data", link_text="the data", key="ui-link")


if __name__ == "__main__":
    publish()
"""

PAUSING = """
from headwater import flow, get_run_logger
from headwater.flow_runs import pause_flow_run
from headwater.input import RunInput
from pydantic import Field


class Approval(RunInput):
    approved: bool
    copies: int = Field(default=1, ge=1, le=10)
    reviewer: str = "ops"


@flow
def gated_load() -> str:
    answer = pause_flow_run(
        wait_for_input=Approval.with_initial_data(description="**Load** tonight's rows?"),
        timeout=120,
        poll_interval=1,
    )
    message = f"approved={answer.approved} copies={answer.copies} by {answer.reviewer}"
    get_run_logger().info(message)
    print(message)
    return message


if __name__ == "__main__":
    gated_load()
"""


@pytest.fixture(scope="module")
def published(
    ui_server: ServerProcess, ui_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    path = tmp_path_factory.mktemp("flows") / "publish_flow.py"
    path.write_text(textwrap.dedent(FLOWS))
    env = client_env(ui_home.parent / "client", ui_server.api_url)
    image = f"{ui_server.url}/static/favicon.svg"
    subprocess.run([sys.executable, str(path), image], env=env, check=True, timeout=120)
    runs = httpx.post(f"{ui_server.api_url}/flow_runs/filter", json={"limit": 50}).json()
    results = runs["results"] if isinstance(runs, dict) else runs
    return str(
        next(
            r["id"] for r in results if r["name"] and r.get("state", {}).get("type") == "COMPLETED"
        )
    )


def test_run_page_lists_artifacts_and_markdown_is_inert(
    ui_server: ServerProcess, published: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/flow-runs/{published}")
    section = page.locator("#artifacts")
    expect(page.locator("#run-state .badge")).to_have_text("Completed")  # no live polling
    expect(section.locator("tbody tr")).to_have_count(6)  # both versions of ui-report
    expect(section).to_contain_text("10,000 rows, 3 columns")
    section.get_by_role("link", name="ui-report").first.click()
    expect(page.locator(".page-head h1")).to_contain_text("ui-report")
    body = page.locator(".artifact-body .markdown")
    expect(body.locator("strong")).to_have_text("bold")
    expect(body).to_contain_text("<script>window.__pwned = 1</script>")  # shown as text
    assert body.locator("script, img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert body.locator("a[href^='javascript']").count() == 0
    expect(page.locator(".artifact-description em")).to_have_text("nightly")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    history.nth(1).get_by_role("link", name="version -1").click()
    expect(page.locator(".artifact-body")).to_contain_text("old version")


def test_a_10000_row_table_renders_paged_and_sorts(
    ui_server: ServerProcess, published: str, page: Any
) -> None:
    from playwright.sync_api import expect

    # What the table itself adds, measured against a small artifact's page in the same
    # browser (the machine's load moves both alike): at most a second.
    baseline = _load_seconds(page, f"{ui_server.url}/artifacts/key/ui-link", ".artifact-body")
    table = page.locator(".artifact-table[data-ready='true']")
    big = _load_seconds(
        page, f"{ui_server.url}/artifacts/key/ui-big-table", ".artifact-table[data-ready='true']"
    )
    assert big - baseline <= 1.0, (big, baseline)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(50)
    expect(table.locator(".page-label")).to_have_text("Page 1 of 200")
    expect(rows.first.locator("td").nth(1)).to_have_text("row 00000")
    table.get_by_role("button", name="Next").click()
    expect(rows.first.locator("td").nth(1)).to_have_text("row 00050")
    score = table.get_by_role("button", name="score")
    score.click()
    expect(rows.first.locator("td").nth(2)).to_have_text("0")
    score.click()
    expect(rows.first.locator("td").nth(2)).to_have_text("999")
    expect(table.locator("th").nth(2)).to_have_attribute("aria-sort", "descending")


def test_artifacts_page_progress_image_and_link(
    ui_server: ServerProcess, published: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/artifacts")
    listing = page.locator("main table")
    for key in ("ui-report", "ui-big-table", "ui-progress", "ui-image", "ui-link"):
        expect(listing.get_by_role("link", name=key)).to_have_count(1)  # latest per key
    listing.get_by_role("link", name="ui-progress").click()
    expect(page.locator(".artifact-progress progress")).to_have_attribute("value", "40.0")
    page.goto(f"{ui_server.url}/artifacts/key/ui-image")
    image = page.locator("img.artifact-image")
    expect(image).to_have_attribute("src", f"{ui_server.url}/static/favicon.svg")
    page.goto(f"{ui_server.url}/artifacts/key/ui-link")
    expect(page.locator(".artifact-body a")).to_have_attribute("href", "https://example.com/data")
    page.expected_statuses = {404}
    page.goto(f"{ui_server.url}/artifacts/key/no-such-key")
    expect(page.locator(".page-head h1, main h1").first).to_have_text("Not found")


def test_pause_then_resume_from_the_ui_with_input(
    ui_server: ServerProcess, ui_home: Path, tmp_path: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    path = tmp_path / "gated_flow.py"
    path.write_text(textwrap.dedent(PAUSING))
    env = client_env(ui_home.parent / "pausing", ui_server.api_url)
    process = subprocess.Popen(
        [sys.executable, str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        run_id = _wait_for_paused(ui_server, "gated-load")
        page.goto(f"{ui_server.url}/flow-runs/{run_id}")
        paused = page.locator("#paused")
        expect(paused.locator(".markdown strong")).to_have_text("Load")
        form = page.locator("#resume-form")
        form.get_by_label("copies").fill("0")  # below the schema's minimum of 1
        form.evaluate("f => { f.noValidate = true; }")  # let the server be the judge
        page.expected_statuses = {422}
        form.get_by_role("button", name="Resume").click()
        expect(page.locator("#resume-problems")).to_be_visible()
        expect(page.locator("[data-param='copies'] .field-error")).to_contain_text("1")
        form = page.locator("#resume-form")
        form.get_by_label("approved").check()
        form.get_by_label("copies").fill("3")
        form.get_by_label("reviewer").fill("ana")
        form.get_by_role("button", name="Resume").click()
        expect(page.locator(".page-head h1")).to_contain_text("gated-load")
        output, _ = process.communicate(timeout=60)
        # The paused page polls /live every second; leaving it aborts a poll in flight.
        page.problems[:] = [p for p in page.problems if "/live?" not in p or "ABORTED" not in p]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "approved=True copies=3 by ana" in output
    run = httpx.get(f"{ui_server.api_url}/flow_runs/{run_id}").json()
    assert run["state"]["type"] == "COMPLETED"


def _load_seconds(page: Any, url: str, ready: str) -> float:
    """Seconds from navigation to ``ready`` being visible (best of two loads)."""
    from playwright.sync_api import expect

    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        page.goto(url)
        expect(page.locator(ready)).to_be_visible()
        best = min(best, time.perf_counter() - started)
    return best


def _wait_for_paused(server: ServerProcess, flow_name: str) -> str:
    deadline = time.monotonic() + 60
    body = {"flow_runs": {"flow_names": [flow_name], "state_types": ["PAUSED"]}}
    while time.monotonic() < deadline:
        found = httpx.post(f"{server.api_url}/flow_runs/filter", json=body).json()
        results = found["results"] if isinstance(found, dict) else found
        if results:
            return str(results[0]["id"])
        time.sleep(0.2)
    raise AssertionError(f"no paused run of {flow_name}")
