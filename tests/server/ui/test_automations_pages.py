"""The Automations and Notifications pages in Chromium against a real server: an
automation made with the form fires (a failed run calls a webhook at a local
receiver), is edited, refused with the wrong field marked, switched off and deleted;
a notification made in the UI is the CLI's notification."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from headwater.blocks.notifications import Webhook
from tests._servers import ServerProcess
from tests.blocks.conftest import Receiver, receiver
from tests.server.automations.test_notifications import wait_for
from tests.server.ui._run_data import make_run

__all__ = ["receiver"]


@pytest.fixture
def api(ui_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HEADWATER_API_URL", ui_server.api_url)
    with httpx.Client(base_url=ui_server.api_url, timeout=30) as client:
        yield client


def _automation(api: httpx.Client, name: str) -> dict[str, Any] | None:
    found = api.post("/automations/filter", json={"name": name}).json()
    return found[0] if found else None


def test_create_fire_edit_toggle_delete(
    page: Any, ui_server: ServerProcess, api: httpx.Client, receiver: Receiver
) -> None:
    tag = uuid.uuid4().hex[:8]
    block_id = Webhook(url=f"{receiver.url}/failed").save(f"ui-hook-{tag}")
    name = f"failed-{tag}"

    page.goto(f"{ui_server.url}/automations/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Expected events").fill("headwater.flow-run.Failed")
    page.get_by_label("Related resource match (optional)").fill(f"headwater.tag.{tag}")
    action = page.locator("fieldset.action").first
    action.get_by_label("Do").select_option("call-webhook")
    expect(action.get_by_label("Deployment")).to_be_hidden()  # only the type's fields
    action.get_by_label("Block").select_option(label=f"webhook/ui-hook-{tag}")
    action.get_by_label("Payload").fill('{"run": "{{ event.resource_id }}"}')
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created automation {name}")

    stored = _automation(api, name)
    assert stored is not None and stored["enabled"] is True
    assert stored["trigger"]["expect"] == ["headwater.flow-run.Failed"]
    assert stored["trigger"]["match_related"] == {"headwater.resource.id": f"headwater.tag.{tag}"}
    assert stored["actions"] == [
        {
            "type": "call-webhook",
            "block_document_id": str(block_id),
            "payload": '{"run": "{{ event.resource_id }}"}',
        }
    ]
    row = page.locator(f"tr[data-automation='{stored['id']}']")
    expect(row.locator("td.trigger")).to_have_text("headwater.flow-run.Failed")
    expect(row.locator("td.actions-summary")).to_have_text("Call a webhook")

    # It fires: a failed run with the tag calls the webhook.
    run_id = make_run(ui_server, f"ui-auto-{tag}", "boom", "FAILED", tags=[tag])
    [request] = wait_for(receiver, timeout=20)
    assert json.loads(request.body) == {"run": f"headwater.flow-run.{run_id}"}
    page.reload()
    expect(row.locator("td.last-fired time")).to_be_visible()

    # A wrong value is marked on its field, and nothing is saved.
    row.get_by_role("link", name=name).click()
    expect(page.get_by_label("Expected events")).to_have_value("headwater.flow-run.Failed")
    page.get_by_label("Threshold").fill("0")
    page.expected_statuses = {400}
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed: threshold:")
    expect(page.get_by_label("Threshold")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#threshold-error")).to_contain_text("greater than or equal to 1")
    assert _automation(api, name)["trigger"]["threshold"] == 1  # type: ignore[index]

    # Edit: a threshold of 2 within a minute, and a second action (pause this automation).
    page.get_by_label("Threshold").fill("2")
    page.get_by_label("Within (seconds)").fill("60")
    page.get_by_role("button", name="Add an action").click()
    second = page.locator("fieldset.action").nth(1)
    second.get_by_label("Do").select_option("pause-automation")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved automation {name}")
    stored = _automation(api, name)
    assert stored is not None
    assert (stored["trigger"]["threshold"], stored["trigger"]["within"]) == (2, 60.0)
    assert stored["actions"][1] == {
        "type": "pause-automation",
        "source": "inferred",
        "automation_id": None,
    }

    # Switch it off, then on.
    switch = page.get_by_role("switch", name=f"{name} enabled")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(page.get_by_role("status")).to_contain_text(f"Turned off {name}")
    expect(page.get_by_role("switch", name=f"{name} enabled")).to_have_attribute(
        "aria-checked", "false"
    )
    assert _automation(api, name)["enabled"] is False  # type: ignore[index]

    # Delete, after confirming.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete {name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Deleted {name}")
    assert _automation(api, name) is None
    assert api.get(f"/automations/{stored['id']}").status_code == 404


def test_refused_action_field_is_marked(page: Any, ui_server: ServerProcess, api: Any) -> None:
    name = f"no-block-{uuid.uuid4().hex[:8]}"
    page.goto(f"{ui_server.url}/automations/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Posture").select_option("Proactive")
    page.get_by_label("Within (seconds)").fill("0")
    page.expected_statuses = {400}
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed: within:")
    expect(page.get_by_label("Within (seconds)")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept; the next refusal is the action's missing block.
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    page.get_by_label("Within (seconds)").fill("30")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("action-0-block_document_id")
    block = page.locator("fieldset.action").first.get_by_label("Block")
    expect(block).to_have_attribute("aria-invalid", "true")
    # Advanced JSON that is not JSON is refused on its own box.
    page.locator("fieldset.action").first.get_by_label("Do").select_option("do-nothing")
    page.get_by_label("Advanced JSON (optional)").fill("{not json")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed: advanced: not JSON")
    assert _automation(api, name) is None
    # Advanced JSON adds what the form has no field for.
    page.get_by_label("Advanced JSON (optional)").fill(
        '{"actions_on_resolve": [{"type": "do-nothing"}]}'
    )
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created automation {name}")
    stored = _automation(api, name)
    assert stored is not None
    assert stored["trigger"]["posture"] == "Proactive"
    assert stored["actions_on_resolve"] == [{"type": "do-nothing"}]
    api.delete(f"/automations/{stored['id']}")


def test_notification_made_in_the_ui_is_the_clis(
    page: Any, ui_server: ServerProcess, api: httpx.Client, receiver: Receiver
) -> None:
    tag = uuid.uuid4().hex[:8]
    Webhook(url=f"{receiver.url}/n").save(f"ops-{tag}")
    page.goto(f"{ui_server.url}/notifications")
    form = page.locator("form.new-notification")
    expect(form.get_by_label("Failed")).to_be_checked()  # Failed and Crashed by default
    form.get_by_label("Crashed").uncheck()
    form.get_by_label("Cancelled").check()
    form.get_by_label("Only runs with one of these tags").fill(f"prod-{tag}")
    form.get_by_label("Send to block").select_option(label=f"webhook/ops-{tag}")
    form.get_by_role("button", name="Create notification").click()
    expect(page.get_by_role("status")).to_contain_text("Created notification")

    mine = [
        a
        for a in api.post("/automations/filter", json={}).json()
        if f"headwater.tag.prod-{tag}" in json.dumps(a["trigger"])
    ]
    assert len(mine) == 1 and mine[0]["tags"] == ["notification"]
    assert set(mine[0]["trigger"]["expect"]) == {
        "headwater.flow-run.Failed",
        "headwater.flow-run.Cancelled",
    }
    row = page.locator(f"tr[data-notification='{mine[0]['id']}']")
    expect(row.locator(".states")).to_have_text("Failed, Cancelled")
    expect(row.locator(".block")).to_have_text(f"webhook/ops-{tag}")
    env = {**os.environ, "HEADWATER_API_URL": ui_server.api_url}
    listed = subprocess.run(
        [sys.executable, "-m", "headwater", "notification", "ls"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert mine[0]["id"] in listed.stdout and f"prod-{tag}" in listed.stdout

    # It sends: a failed run with the tag.
    make_run(ui_server, f"ui-note-{tag}", "fails", "FAILED", tags=[f"prod-{tag}"])
    [sent] = wait_for(receiver, timeout=20)
    assert "entered state Failed" in sent.body.decode()

    # Off, then deleted.
    page.reload()
    row.get_by_role("switch").click()
    expect(page.get_by_role("status")).to_contain_text("Turned off")
    assert api.get(f"/automations/{mine[0]['id']}").json()["enabled"] is False
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted")
    expect(row).to_have_count(0)
    assert api.get(f"/automations/{mine[0]['id']}").status_code == 404

    # No states: refused, with the fieldset marked.
    page.locator("form.new-notification").get_by_label("Failed").uncheck()
    page.locator("form.new-notification").get_by_label("Crashed").uncheck()
    page.expected_statuses = {400}
    page.get_by_role("button", name="Create notification").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed: states:")


UNLABELLED = """() => Array.from(
    document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
  .map((el) => el.name || el.id)"""


def test_form_controls_are_labelled_and_fit_a_phone(browser: Any, ui_server: ServerProcess) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        tab = context.new_page()
        for path in ("/automations/new", "/automations", "/notifications", "/events"):
            tab.goto(f"{ui_server.url}{path}")
            assert tab.evaluate(UNLABELLED) == [], path
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide at 390 px"
        tab.goto(f"{ui_server.url}/automations/new")
        tab.get_by_role("button", name="Add an action").click()
        assert tab.evaluate(UNLABELLED) == []
        assert tab.locator("fieldset.action").count() == 2
    finally:
        context.close()
