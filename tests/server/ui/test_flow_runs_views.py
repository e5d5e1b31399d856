"""/flow-runs views: started-or-due by default with future runs in their own tab,
the state filter as toggles, subflows marked and hideable, and saved filters kept in
the store (and its API)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess
from tests.server.ui._run_data import make_run, row_names


def test_future_runs_have_their_own_tab(ui_server: ServerProcess, page: Any) -> None:
    now = time.time()
    flow = f"views-{uuid.uuid4().hex[:6]}"
    make_run(ui_server, flow, "due-done", "COMPLETED", due=now - 600)
    make_run(ui_server, flow, "due-late", "SCHEDULED", due=now - 60)
    for i in (3, 1, 2):
        make_run(ui_server, flow, f"later-{i}", "SCHEDULED", due=now + 3600 * i)
    page.goto(f"{ui_server.url}/flow-runs?flow={flow}")
    assert sorted(row_names(page)) == ["due-done", "due-late"]
    tabs = page.get_by_role("navigation", name="Which runs")
    due = tabs.get_by_role("link", name="Started or due")
    expect(due).to_have_attribute("aria-current", "page")
    tabs.get_by_role("link", name="Upcoming").click()
    page.wait_for_url("**view=upcoming**")
    assert row_names(page) == ["later-1", "later-2", "later-3"]  # soonest first
    assert "flow=" in page.url  # the other filters are kept
    page.get_by_role("navigation", name="Which runs").get_by_role("link", name="All").click()
    page.wait_for_url("**view=all**")
    assert len(row_names(page)) == 5


def test_state_toggles_and_hidden_subflows(ui_server: ServerProcess, page: Any) -> None:
    flow = f"toggles-{uuid.uuid4().hex[:6]}"
    make_run(ui_server, flow, "tg-ok", "COMPLETED")
    make_run(ui_server, flow, "tg-bad", "FAILED")
    make_run(ui_server, flow, "tg-crash", "CRASHED")
    make_run(ui_server, flow, "tg-child", "FAILED", parent_task_run_id=uuid.uuid4())
    page.goto(f"{ui_server.url}/flow-runs?flow={flow}")
    child = page.locator("tr", has_text="tg-child")
    expect(child.locator(".tag.subflow")).to_have_text("subflow")
    expect(page.locator("tr", has_text="tg-bad").locator(".tag.subflow")).to_have_count(0)
    toggles = page.locator(".state-toggles")
    # A toggle is a plain click (no Ctrl-click multi-select): two states at once.
    toggles.get_by_text("Failed", exact=True).click()
    toggles.get_by_text("Crashed", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**state=CRASHED**")
    assert sorted(row_names(page)) == ["tg-bad", "tg-child", "tg-crash"]
    expect(toggles.get_by_label("Failed")).to_be_checked()
    expect(toggles.get_by_label("Completed")).not_to_be_checked()
    page.get_by_label("Hide subflows").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**subflows=hide**")
    assert sorted(row_names(page)) == ["tg-bad", "tg-crash"]
    # Toggle one off again.
    page.locator(".state-toggles").get_by_text("Crashed", exact=True).click()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function("!location.search.includes('CRASHED')")
    assert row_names(page) == ["tg-bad"]


def test_saved_filters_are_kept_in_the_store(ui_server: ServerProcess, page: Any) -> None:
    flow = f"saved-{uuid.uuid4().hex[:6]}"
    make_run(ui_server, flow, "sv-bad", "FAILED")
    make_run(ui_server, flow, "sv-ok", "COMPLETED")
    name = f"Failed {flow}"
    page.goto(f"{ui_server.url}/flow-runs?flow={flow}&state=FAILED")
    page.get_by_label("Name of the saved filter").fill(name)
    page.get_by_role("button", name="Save filter").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved this filter as '{name}'")
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    stored = [f for f in api.get("/saved_filters", params={"page": "flow-runs"}).json()]
    mine = next(f for f in stored if f["name"] == name)
    assert mine["query"] == f"state=FAILED&flow={flow}"
    # The same name again: one line, nothing saved.
    page.get_by_label("Name of the saved filter").fill(name)
    page.get_by_role("button", name="Save filter").click()
    expect(page.get_by_role("alert")).to_have_text(
        f"Not saved: a saved filter named '{name}' exists already"
    )
    # Another browser (a fresh context) sees it, and it opens the view.
    page.goto(f"{ui_server.url}/flow-runs")
    page.get_by_role("link", name=name).click()
    page.wait_for_url(f"**flow={flow}**")
    assert row_names(page) == ["sv-bad"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete saved filter {name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Deleted the saved filter '{name}'")
    assert api.get(f"/saved_filters/{mine['id']}").status_code == 404
    api.close()


def test_saved_filters_api_refuses_bad_input(ui_server: ServerProcess) -> None:
    with httpx.Client(base_url=ui_server.api_url, timeout=30) as api:
        made = api.post("/saved_filters", json={"name": "api-made", "query": "?state=FAILED"})
        assert made.status_code == 201 and made.json()["query"] == "state=FAILED"
        again = api.post("/saved_filters", json={"name": "api-made"})
        assert again.status_code == 409 and "exists already" in again.json()["detail"]
        for body in ({"name": ""}, {"name": "x", "page": "nope"}, {"name": "x" * 101}):
            answer = api.post("/saved_filters", json=body)
            assert answer.status_code == 422, body
            assert "\n" not in answer.json()["detail"]
        assert api.get("/saved_filters/not-a-uuid").status_code == 422
        assert api.delete(f"/saved_filters/{made.json()['id']}").json() == {"deleted": True}
        assert api.delete(f"/saved_filters/{made.json()['id']}").json() == {"deleted": False}
