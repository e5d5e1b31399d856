"""Deployments are editable in the browser: schedules (cron in words with the next
five times, interval, rrule) added, changed and deleted; pause, resume and delete;
description, tags and default parameters.  Every form shows the server's one-line
reason when it refuses."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess


def _deployment(api: httpx.Client) -> dict[str, Any]:
    body = {
        "flow_name": "edit-flow",
        "name": f"edit-{uuid.uuid4().hex[:6]}",
        "entrypoint": "flows.py:edit_flow",
        "parameters": {"n": 1},
        "schedules": [{"cron": "0 6 * * 1-5", "timezone": "Europe/Paris"}],
    }
    made = api.post("/deployments", json=body)
    assert made.status_code in (200, 201), made.text
    return dict(made.json())


def test_schedules_are_added_changed_and_deleted(page: Any, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    d = _deployment(api)
    page.goto(f"{ui_server.url}/deployments/{d['id']}")
    rows = page.locator("table.schedules tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td > .schedule-words")).to_have_text(
        "At 06:00, on Monday to Friday (Europe/Paris)"
    )
    expect(rows.first.locator("td.next-times time")).to_have_count(5)

    # Add an interval schedule: the form previews it as it is typed.
    form = page.locator("form.add-schedule")
    form.get_by_label("Kind").select_option("interval")
    form.get_by_label("Timing").fill("15m")
    preview = form.locator(".schedule-preview")
    expect(preview.locator(".schedule-words")).to_have_text("Every 15 minutes (UTC)")
    expect(preview.locator("ol.next-times li")).to_have_count(5)
    form.get_by_role("button", name="Add schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule added: Every 15 minutes (UTC).")
    assert len(api.get(f"/deployments/{d['id']}").json()["schedules"]) == 2

    # A cron the server refuses: its one-line reason, live and after submitting.
    form = page.locator("form.add-schedule")
    form.get_by_label("Kind").select_option("cron")
    form.get_by_label("Timing").fill("61 * * * *")
    expect(form.locator(".schedule-preview")).to_have_text(
        "cron '61 * * * *' is not a valid cron expression"
    )
    form.get_by_role("button", name="Add schedule").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "Schedule not added: cron '61 * * * *' is not a valid cron expression"
    )
    # An rrule is added too.
    form = page.locator("form.add-schedule")
    form.get_by_label("Kind").select_option("rrule")
    form.get_by_label("Timing").fill("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0")
    expect(form.locator(".schedule-preview ol.next-times li")).to_have_count(5)
    form.get_by_role("button", name="Add schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule added: RRule FREQ=WEEKLY")
    expect(page.locator("table.schedules tbody tr")).to_have_count(3)

    # Change the cron one's timing.
    first = page.locator("table.schedules tbody tr").first
    first.get_by_text("Edit", exact=True).click()
    first.get_by_label("Timing").fill("30 7 * * *")
    expect(first.locator(".schedule-preview .schedule-words")).to_have_text(
        "At 07:30 (Europe/Paris)"
    )
    first.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule changed: At 07:30 (Europe/Paris).")
    crons = [
        s["schedule"].get("cron")
        for s in api.get(f"/deployments/{d['id']}").json()["schedules"]
        if s["schedule"]["type"] == "cron"
    ]
    assert crons == ["30 7 * * *"]

    # Delete the interval one.
    interval = page.locator("table.schedules tbody tr", has_text="Every 15 minutes")
    page.once("dialog", lambda dialog: dialog.accept())
    interval.get_by_role("button", name="Delete schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule deleted")
    kinds = sorted(
        s["schedule"]["type"] for s in api.get(f"/deployments/{d['id']}").json()["schedules"]
    )
    assert kinds == ["cron", "rrule"]
    api.close()


def test_edit_pause_resume_and_delete_a_deployment(page: Any, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    d = _deployment(api)
    page.goto(f"{ui_server.url}/deployments/{d['id']}")
    form = page.locator("form.deployment-edit")
    form.get_by_label("Description").fill("Loads the nightly files")
    form.get_by_label("Tags").fill("etl, nightly")
    form.get_by_label("Default parameters (JSON object)").fill('{"n": 5, "mode": "full"}')
    form.get_by_role("button", name="Save deployment").click()
    expect(page.get_by_role("status")).to_have_text("Deployment saved.")
    saved = api.get(f"/deployments/{d['id']}").json()
    assert saved["description"] == "Loads the nightly files"
    assert saved["tags"] == ["etl", "nightly"]
    assert saved["parameters"] == {"n": 5, "mode": "full"}

    # Parameters that are not a JSON object: one line, nothing changed.
    form = page.locator("form.deployment-edit")
    form.get_by_label("Default parameters (JSON object)").fill("[1, 2]")
    form.get_by_label("Tags").fill("changed")
    form.get_by_role("button", name="Save deployment").click()
    expect(page.get_by_role("alert")).to_have_text(
        'Nothing was changed: parameters: a JSON object is needed, e.g. {"n": 3}'
    )
    assert api.get(f"/deployments/{d['id']}").json()["tags"] == ["etl", "nightly"]

    # Pause and resume.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Paused")
    expect(page.locator(".page-head .badge.state-paused")).to_have_text("Paused")
    assert api.get(f"/deployments/{d['id']}").json()["paused"] is True
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text("Resumed")
    assert api.get(f"/deployments/{d['id']}").json()["paused"] is False

    # Delete.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".page-head").get_by_role("button", name="Delete").click()
    page.wait_for_function("location.pathname === '/deployments'")
    expect(page.get_by_role("status")).to_contain_text(f"Deleted deployment edit-flow/{d['name']}")
    assert api.get(f"/deployments/{d['id']}").status_code == 404
    api.close()


def test_schedule_api_add_replace_delete(ui_server: ServerProcess) -> None:
    with httpx.Client(base_url=ui_server.api_url, timeout=30) as api:
        d = _deployment(api)
        url = f"/deployments/{d['id']}/schedules"
        added = api.post(url, json={"interval": 600})
        assert added.status_code == 201 and len(added.json()["schedules"]) == 2
        again = api.post(url, json={"interval": 600})
        assert again.status_code == 409 and "already" in again.json()["detail"]
        bad = api.post(url, json={"cron": "nope"})
        assert bad.status_code in (400, 422) and "\n" not in bad.json()["detail"]
        both = api.post(url, json={"cron": "0 1 * * *", "interval": 5})
        assert both.status_code in (400, 422) and "exactly one" in both.json()["detail"]
        interval = next(s for s in added.json()["schedules"] if s["schedule"]["type"] == "interval")
        replaced = api.put(f"{url}/{interval['id']}", json={"interval": 1200, "active": False})
        assert replaced.status_code == 200
        changed = next(
            s for s in replaced.json()["schedules"] if s["schedule"]["type"] == "interval"
        )
        assert (changed["schedule"]["interval"], changed["active"]) == (1200, False)
        gone = api.delete(f"{url}/{changed['id']}")
        assert gone.status_code == 200 and len(gone.json()["schedules"]) == 1
        assert api.delete(f"{url}/{changed['id']}").status_code == 404
