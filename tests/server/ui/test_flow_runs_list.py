"""/flow-runs: filters, sorting, keyset pages, bulk cancel and delete, bad input."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from headwater.states import Completed
from tests._servers import ServerProcess
from tests.server.ui._run_data import make_run, row_names, row_states, set_state, state_of
from tests.server.ui.conftest import screenshot


def test_runs_are_filtered_by_state_in_the_browser(ui_server: ServerProcess, page: Any) -> None:
    for i, kind in enumerate(["COMPLETED", "FAILED", "COMPLETED", "FAILED", "RUNNING"]):
        make_run(ui_server, "filtering", f"filt-{i}", kind, tags=["nightly"] if i < 2 else [])
    page.goto(f"{ui_server.url}/flow-runs?flow=filtering")
    assert len(row_names(page)) == 5
    page.locator(".state-toggles").get_by_label("Failed").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**state=FAILED**")
    assert row_states(page) == ["Failed", "Failed"]
    assert sorted(row_names(page)) == ["filt-1", "filt-3"]
    # a tag and a name filter narrow it further
    page.get_by_label("Tag").fill("nightly")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**tag=nightly**")
    assert row_names(page) == ["filt-1"]
    page.goto(f"{ui_server.url}/flow-runs?flow=filtering&q=FILT-4")
    assert row_names(page) == ["filt-4"]


def follow(page: Any, link: str) -> None:
    """Click ``link`` and wait for the page it leads to: reading rows right after the
    click could read the page being left, or none while the next one loads."""
    with page.expect_navigation():
        page.get_by_role("link", name=link).click()


def test_sorting_and_keyset_pages(ui_server: ServerProcess, page: Any) -> None:
    now = time.time()
    for i in range(5):
        make_run(ui_server, "paging", f"page-{i}", due=now - 1000 + i * 100)
    page.goto(f"{ui_server.url}/flow-runs?flow=paging&limit=2")
    assert row_names(page) == ["page-4", "page-3"]
    follow(page, "Next page")
    assert row_names(page) == ["page-2", "page-1"]
    follow(page, "Next page")
    assert row_names(page) == ["page-0"]
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    follow(page, "First page")
    assert row_names(page) == ["page-4", "page-3"]
    page.get_by_label("Sort").select_option("oldest")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=oldest**")
    assert row_names(page) == ["page-0", "page-1"]  # the page size is kept
    page.get_by_label("Sort").select_option("name")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**sort=name**")
    assert row_names(page) == ["page-0", "page-1"]


def test_bulk_cancel_and_delete_from_the_browser(ui_server: ServerProcess, page: Any) -> None:
    later = time.time() + 3600
    scheduled = make_run(ui_server, "bulk", "bulk-scheduled", "SCHEDULED", due=later)
    running = make_run(ui_server, "bulk", "bulk-running", "RUNNING")
    done = [make_run(ui_server, "bulk", f"bulk-done-{i}") for i in range(2)]
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{ui_server.url}/flow-runs?flow=bulk&view=all")
    cancel = page.get_by_role("button", name="Cancel selected")
    expect(cancel).to_be_disabled()
    page.get_by_label("Select bulk-scheduled").check()
    page.get_by_label("Select bulk-running").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    cancel.click()
    expect(page.locator(".notice")).to_contain_text("Cancelled 2 runs")
    assert "flow=bulk&view=all" in page.url  # back to the same list
    assert state_of(ui_server, scheduled) == ("CANCELLED", "Cancelled")
    # a running run is asked to stop (Cancelling); with no process behind it, the
    # server's cancellation service soon finishes it as Cancelled
    assert state_of(ui_server, running) in (
        ("CANCELLING", "Cancelling"),
        ("CANCELLED", "Cancelled"),
    )
    page.get_by_label("Select all runs on this page").check()
    expect(page.locator("#selected-count")).to_have_text("4 selected")
    page.get_by_label("Select bulk-running").uncheck()
    page.get_by_label("Select bulk-scheduled").uncheck()
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator(".notice")).to_contain_text("Deleted 2 runs")
    assert sorted(row_names(page)) == ["bulk-running", "bulk-scheduled"]
    assert all(state_of(ui_server, run_id) is None for run_id in done)


def test_unfinished_rows_follow_their_state_live(ui_server: ServerProcess, page: Any) -> None:
    run_id = make_run(ui_server, "live", "live-run", "RUNNING")
    page.goto(f"{ui_server.url}/flow-runs?flow=live")
    assert row_states(page) == ["Running"]
    set_state(ui_server, run_id, Completed())
    expect(page.locator(".runs-table .state-cell .badge")).to_have_text("Completed", timeout=10_000)


def test_bad_filters_show_the_page_with_a_message(ui_server: ServerProcess, page: Any) -> None:
    answer = httpx.get(
        f"{ui_server.url}/flow-runs",
        params={"state": ["FAILED", "NOPE"], "cursor": "garbage", "limit": "0", "window": "9y"},
    )
    assert answer.status_code == 400 and "text/html" in answer.headers["content-type"]
    for text in ("unknown state &#39;NOPE&#39;", "that page link cannot be used", "limit must be"):
        assert text in answer.text
    long_tag = httpx.get(f"{ui_server.url}/flow-runs", params={"tag": "x" * 500})
    assert long_tag.status_code == 400 and "tag:" in long_tag.text
    bad_deployment = httpx.get(f"{ui_server.url}/flow-runs", params={"deployment": "12"})
    assert "is not a deployment id" in bad_deployment.text
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/flow-runs?sort=sideways")
    expect(page.locator(".filter-problem")).to_contain_text("unknown sort")


def test_bulk_form_needs_its_token_and_a_known_action(ui_server: ServerProcess) -> None:
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/flow-runs")
        token = client.cookies["hw_csrf"]
        forged = client.post("/flow-runs/bulk", data={"action": "delete", "ids": ["x"]})
        assert forged.status_code == 403
        odd = client.post(
            "/flow-runs/bulk",
            data={"csrf_token": token, "action": "explode", "back": "https://evil.example/"},
        )
        assert odd.status_code == 303
        assert odd.headers["location"].startswith("/flow-runs?problem=unknown")
        empty = client.post("/flow-runs/bulk", data={"csrf_token": token, "action": "cancel"})
        assert "Select+at+least+one+run" in empty.headers["location"]


def test_screenshot_of_the_runs_list(ui_server: ServerProcess, page: Any) -> None:
    now = time.time()
    kinds = ["COMPLETED"] * 6 + ["FAILED", "RUNNING", "CRASHED", "SCHEDULED", "CANCELLED"]
    for i, kind in enumerate(kinds):
        due = now + 600 if kind == "SCHEDULED" else now - 120 * i
        tags = [["prod"], ["prod", "nightly"], []][i % 3]
        make_run(
            ui_server, "nightly-etl" if i % 2 else "reports", f"shot-{i}", kind, due=due, tags=tags
        )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/flow-runs?q=shot-")
    assert screenshot(page, "ui-flow-runs.png").stat().st_size < 200_000
