"""The dashboard's task-run counts beside the flow runs', its chart in the browser's
time zone, and its auto-refresh (figures change without a reload)."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests._servers import ServerProcess
from tests.server.ui._run_data import make_run
from tests.server.ui.run_data import seed_flow_run


def test_task_run_counts_beside_flow_runs(ui_server: ServerProcess, page: Any) -> None:
    seed_flow_run(f"sqlite:///{ui_server.home / 'headwater.db'}", tasks=30, failed_every=10)
    page.goto(f"{ui_server.url}/?window=1h")
    tasks = page.get_by_role("region", name="Task runs by state")
    expect(tasks.locator('[data-task-stat="total"]')).to_have_text("30")
    expect(tasks.locator('[data-task-stat="FAILED"]')).to_have_text("3")
    expect(tasks.locator('[data-task-stat="COMPLETED"]')).to_have_text("27")
    flows = page.get_by_role("region", name="Flow runs by state")
    expect(flows.locator('[data-stat="COMPLETED"]')).to_have_text("1")
    # A wider window counts them too (task runs count by when they were created).
    page.goto(f"{ui_server.url}/?window=7d")
    expect(tasks.locator('[data-task-stat="total"]')).to_have_text("30")


def test_chart_axis_in_the_browsers_time_zone(browser: Any, ui_server: ServerProcess) -> None:
    context = browser.new_context(timezone_id="Asia/Kolkata")  # UTC+05:30
    try:
        tab = context.new_page()
        tab.goto(f"{ui_server.url}/?window=24h")
        # Chromium's ICU may name the zone by its older alias.
        expect(tab.locator(".chart-card .tz-name")).to_have_text(
            re.compile(r"^Asia/(Kolkata|Calcutta)$")
        )
        ticks = tab.locator(".run-chart text.tick")
        expect(ticks).to_have_count(3)
        zone = ZoneInfo("Asia/Kolkata")
        for i in range(3):
            ts = float(ticks.nth(i).get_attribute("data-ts") or "0")
            local = dt.datetime.fromtimestamp(ts, zone).strftime("%m-%d %H:%M")
            expect(ticks.nth(i)).to_have_text(local)
        bar = tab.locator(".run-chart .bar").first
        start = float(bar.get_attribute("data-start") or "0")
        begins = dt.datetime.fromtimestamp(start, zone).strftime("%Y-%m-%d %H:%M")
        assert (bar.get_attribute("aria-label") or "").startswith(f"{begins} to ")
        assert "UTC" not in (bar.get_attribute("aria-label") or "")
    finally:
        context.close()


def test_figures_refresh_without_a_reload(ui_server: ServerProcess, page: Any) -> None:
    # The page's timers run on a paused clock the test moves (the 10 s refresh, without
    # waiting 10 s); its fetches are real.
    start = dt.datetime.now(dt.timezone.utc)
    page.clock.install(time=start)
    page.clock.pause_at(start + dt.timedelta(seconds=1))
    page.goto(f"{ui_server.url}/?window=1h")
    flows = page.get_by_role("region", name="Flow runs by state")
    before = int(flows.locator('[data-stat="total"]').inner_text())
    page.evaluate("window.__same_document = true")
    make_run(ui_server, "live-dash", "live-failed", "FAILED", due=time.time() - 30)
    page.clock.run_for(11_000)
    expect(flows.locator('[data-stat="total"]')).to_have_text(str(before + 1), timeout=15_000)
    expect(page.get_by_role("region", name="Recent failures")).to_contain_text("live-failed")
    assert page.evaluate("window.__same_document") is True  # no reload happened
    # Turned off, it stays as it is.
    page.get_by_label("Auto-refresh every 10 s").uncheck()
    make_run(ui_server, "live-dash", "live-failed-2", "FAILED", due=time.time() - 30)
    page.clock.run_for(60_000)  # several refresh periods (and any backoff)
    page.wait_for_timeout(1_000)  # a fetch it started would have landed by now
    expect(flows.locator('[data-stat="total"]')).to_have_text(str(before + 1))
