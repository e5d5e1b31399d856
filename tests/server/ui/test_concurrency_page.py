"""The Concurrency page in Chromium: tag and global limits with their slots, holders
linked to their runs and waiters; create, edit, reset and delete."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess


def test_limits_holders_and_actions(page: Any, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    tag = f"etl-{uuid.uuid4().hex[:6]}"
    name = f"db-{uuid.uuid4().hex[:6]}"
    assert api.post("/concurrency_limits", json={"name": f"tag:{tag}", "limit": 2}).is_success
    task_run_id = str(uuid.uuid4())
    held = api.post(
        "/concurrency_limits/acquire",
        json={"names": [f"tag:{tag}"], "holder": "test", "task_run_id": task_run_id},
    ).json()
    assert held["lease_id"]

    page.goto(f"{ui_server.url}/concurrency")
    row = page.locator(f"table[data-kind='tag'] tr[data-limit='tag:{tag}']")
    expect(row.locator("td.slots")).to_have_text("1 / 2")
    expect(row.locator("td.queue")).to_have_text("0")
    link = row.get_by_role("link", name="task run")
    assert link.get_attribute("href") == f"/task-runs/{task_run_id}"

    # Create a global limit with the form.
    form = page.locator("form.new-limit")
    form.get_by_label("Name or tag").fill(name)
    form.get_by_label("Limit").fill("3")
    form.get_by_label("Slot decay per second").fill("1.5")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created limit {name}")
    made = api.get(f"/concurrency_limits/{name}").json()
    assert (made["limit"], made["slot_decay_per_second"]) == (3, 1.5)

    # A wrong value changes nothing and says why.
    form = page.locator("form.new-limit")
    form.get_by_label("Name or tag").fill(name)
    form.get_by_label("Limit").fill("3")
    page.expected_statuses = {400}
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("exists already")

    # Edit: a bigger limit, made inactive.
    page.goto(f"{ui_server.url}/concurrency")
    grow = page.locator(f"table[data-kind='global'] tr[data-limit='{name}']")
    grow.get_by_label(f"Limit of {name}").fill("5")
    grow.get_by_label("active").uncheck()
    grow.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved {name}: 5 slots, inactive")
    assert api.get(f"/concurrency_limits/{name}").json()["active"] is False

    # Reset the tag limit: its slot is given back.
    row = page.locator(f"table[data-kind='tag'] tr[data-limit='tag:{tag}']")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Reset").click()
    expect(page.get_by_role("status")).to_contain_text("Reset tag:")
    expect(row.locator("td.slots")).to_have_text("0 / 2")
    assert api.get(f"/concurrency_limits/tag:{tag}").json()["active_slots"] == 0

    # Delete both.
    for selector in (f"tr[data-limit='tag:{tag}']", f"tr[data-limit='{name}']"):
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(selector).get_by_role("button", name="Delete").click()
        expect(page.get_by_role("status")).to_contain_text("Deleted")
    assert api.get(f"/concurrency_limits/{name}").status_code == 404
    assert not page.problems
    api.close()
