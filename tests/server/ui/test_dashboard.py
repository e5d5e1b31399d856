"""The dashboard at /: runs by state in a window, the chart, failures, late runs, pools."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess
from tests.server.ui._run_data import make_pool, make_run
from tests.server.ui.conftest import screenshot


def test_dashboard_counts_lists_and_window_switching(ui_server: ServerProcess, page: Any) -> None:
    now = time.time()
    failed = make_run(ui_server, "dash", "dash-failed", "FAILED", due=now - 600)
    make_run(ui_server, "dash", "dash-ok", "COMPLETED", due=now - 300)
    make_run(ui_server, "dash", "dash-old-crash", "CRASHED", due=now - 5 * 3600)
    late = make_run(ui_server, "dash", "dash-late", "SCHEDULED", due=now - 3600)
    make_pool(ui_server, "dash-pool", {"w-up": now, "w-down": now - 7200})

    page.goto(f"{ui_server.url}/?window=1h")
    expect(page.locator('[data-stat="FAILED"]')).to_have_text("1")
    expect(page.locator('[data-stat="COMPLETED"]')).to_have_text("1")
    failures = page.get_by_role("region", name="Recent failures")
    expect(failures.get_by_role("link", name="dash / dash-failed")).to_have_attribute(
        "href", f"/flow-runs/{failed}"
    )
    expect(failures.get_by_text("dash-old-crash")).to_have_count(0)  # outside the hour
    late_runs = page.get_by_role("region", name="Late runs")
    expect(late_runs.get_by_role("link", name="dash / dash-late")).to_have_attribute(
        "href", f"/flow-runs/{late}"
    )
    pool_row = page.get_by_role("row", name="dash-pool")
    expect(pool_row.get_by_role("cell").nth(1)).to_have_text("1")  # online
    expect(pool_row.get_by_role("cell").nth(2)).to_have_text("1")  # offline
    expect(pool_row.get_by_role("link", name="dash-pool")).to_have_attribute(
        "href", "/work-pools/dash-pool"
    )
    # one bar per 5 minutes, each labelled for assistive technology
    bars = page.locator(".run-chart .bar")
    expect(bars).to_have_count(12)
    assert "runs" in (bars.last.get_attribute("aria-label") or "")

    page.get_by_role("link", name="Last 24 hours").click()
    page.wait_for_url("**window=24h")
    expect(page.get_by_role("link", name="Last 24 hours")).to_have_attribute("aria-current", "true")
    expect(bars).to_have_count(24)
    expect(failures.get_by_text("dash-old-crash")).to_have_count(1)
    page.get_by_role("link", name="Last 7 days").click()
    page.wait_for_url("**window=7d")
    expect(bars).to_have_count(28)
    # a state card leads to the runs list with the same window and state
    page.locator('a:has([data-stat="FAILED"])').click()
    page.wait_for_url("**/flow-runs?window=7d&state=FAILED")


def test_an_unknown_window_shows_the_default_with_a_message(
    ui_server: ServerProcess, page: Any
) -> None:
    answer = httpx.get(f"{ui_server.url}/", params={"window": "1y"})
    assert answer.status_code == 400
    assert "unknown window &#39;1y&#39;" in answer.text
    assert "Server-Timing".lower() in {k.lower() for k in answer.headers}
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/?window=forever")
    expect(page.get_by_role("alert")).to_contain_text("unknown window")
    expect(page.locator(".run-chart .bar")).to_have_count(24)


def test_screenshot_of_the_dashboard(ui_server: ServerProcess, page: Any) -> None:
    now = time.time()
    kinds = ["COMPLETED"] * 14 + ["FAILED", "FAILED", "CRASHED", "CANCELLED", "RUNNING"]
    for i in range(120):
        kind = kinds[(i * 7) % len(kinds)] if i > 3 else "RUNNING"
        make_run(
            ui_server,
            ["nightly-etl", "reports", "ml-train"][i % 3],
            f"view-{i}",
            kind,
            due=now - i * 700,
        )
    make_pool(ui_server, "default-pool", {"worker-a": now, "worker-b": now})
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/?window=24h")
    assert screenshot(page, "ui-dashboard.png").stat().st_size < 200_000
