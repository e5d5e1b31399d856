"""The Events page in Chromium against a real server: emitted events show (and new
ones arrive while the page is open), filters by name prefix and resource, paging,
an event opened to its payload; a flow run's page lists the run's events."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from headwater.core.events import Event
from tests._servers import ServerProcess
from tests.server.ui._run_data import make_run


def _emit(api: httpx.Client, name: str, resource: str, **payload: Any) -> str:
    record = Event(
        event=name,
        resource={"headwater.resource.id": resource, "headwater.resource.name": resource[-6:]},
        related=[{"headwater.resource.id": "headwater.tag.ui", "headwater.resource.role": "tag"}],
        payload=payload,
    ).to_record()
    response = api.post("/events", json=[{**record, "id": str(record["id"])}])
    assert response.status_code == 204, response.text
    return str(record["id"])


def test_feed_filters_pages_and_updates(page: Any, ui_server: ServerProcess) -> None:
    tag = uuid.uuid4().hex[:8]
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    first = _emit(api, f"ui.{tag}.ping", f"ui.thing.{tag}.a", n=1)
    _emit(api, f"ui.{tag}.pong", f"ui.thing.{tag}.b", n=2)

    page.goto(f"{ui_server.url}/events")
    feed = page.locator("#event-feed")
    expect(feed.locator(f"li[data-event-id='{first}']")).to_be_visible()
    # A new event shows up on the open page (it refreshes itself).
    live = _emit(api, f"ui.{tag}.ping", f"ui.thing.{tag}.c", n=3)
    expect(feed.locator(f"li[data-event-id='{live}']")).to_be_visible(timeout=20_000)

    # Name prefix.
    page.get_by_label("Event name starts with").fill(f"ui.{tag}.pi")
    page.get_by_role("button", name="Filter").click()
    expect(feed.locator("li[data-event-id]")).to_have_count(2)
    expect(feed.locator(f"li[data-event='ui.{tag}.pong']")).to_have_count(0)

    # Resource, and an event opened to its payload and related resources.
    page.get_by_label("Event name starts with").fill("")
    page.get_by_label("Resource id").fill(f"ui.thing.{tag}.a")
    page.get_by_role("button", name="Filter").click()
    expect(feed.locator("li[data-event-id]")).to_have_count(1)
    item = feed.locator(f"li[data-event-id='{first}']")
    item.locator("summary").click()
    expect(item.locator("pre.event-payload")).to_contain_text('"n": 1')
    expect(item).to_contain_text("headwater.tag.ui")
    assert "range=24h" in page.url and f"resource=ui.thing.{tag}.a" in page.url

    # Paging: 55 events of one name make two pages.
    many = f"ui.{tag}.many"
    records = [
        Event(event=many, resource={"headwater.resource.id": f"ui.bulk.{tag}.{i}"}).to_record()
        for i in range(55)
    ]
    body = [{**r, "id": str(r["id"])} for r in records]
    assert api.post("/events", json=body).status_code == 204
    page.goto(f"{ui_server.url}/events?prefix={many}")
    expect(feed.locator("li[data-event-id]")).to_have_count(50)
    page.get_by_role("link", name="Older →").click()
    expect(feed.locator("li[data-event-id]")).to_have_count(5)
    expect(page.get_by_role("link", name="← Newer")).to_be_visible()
    expect(page.locator("#live-events")).to_have_count(0)  # older pages stay still

    # A bad value is named, and the page still shows.
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/events?range=forever")
    expect(page.get_by_role("alert")).to_contain_text("Unknown time range 'forever'")
    api.close()


def test_flow_run_page_lists_its_events(page: Any, ui_server: ServerProcess) -> None:
    tag = uuid.uuid4().hex[:8]
    run_id = make_run(ui_server, f"ui-events-{tag}", "with-events", "FAILED")
    other = make_run(ui_server, f"ui-events-{tag}", "other", "COMPLETED")
    started = time.perf_counter()
    response = httpx.get(f"{ui_server.url}/flow-runs/{run_id}", timeout=30)
    assert response.status_code == 200 and time.perf_counter() - started < 10
    assert "server-timing" in response.headers
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    section = page.locator("section#events")
    names = section.locator("li[data-event]")
    expect(names).to_have_count(3)  # Pending, Running, Failed: oldest first
    expect(names.nth(2)).to_have_attribute("data-event", "headwater.flow-run.Failed")
    expect(section).not_to_contain_text(str(other))
    failed = section.locator("li[data-event='headwater.flow-run.Failed']")
    failed.locator("summary").click()
    expect(failed.locator("pre.event-payload")).to_be_visible()
    expect(failed.locator("pre.event-payload")).to_contain_text('"to": "FAILED"')
    section.get_by_role("link", name="All of them in the event feed").click()
    expect(page.locator("#event-feed li[data-event='headwater.flow-run.Failed']")).to_have_count(1)


def test_a_running_runs_events_arrive_live(page: Any, ui_server: ServerProcess) -> None:
    from headwater.server.store import flow_runs
    from headwater.states import Completed
    from tests.server.ui._run_data import store

    run_id = make_run(ui_server, f"ui-live-events-{uuid.uuid4().hex[:8]}", "going", "RUNNING")
    page.goto(f"{ui_server.url}/flow-runs/{run_id}")
    section = page.locator("section#events")
    expect(section.locator("li[data-event='headwater.flow-run.Running']")).to_have_count(1)
    section.locator("li[data-event='headwater.flow-run.Running'] summary").click()
    with store(ui_server).begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Completed(), force=True)
    expect(section.locator("li[data-event='headwater.flow-run.Completed']")).to_have_count(1)
    expect(section.get_by_role("heading", name="Events (3)")).to_be_visible()
    # The event opened before the update is still open.
    running = section.locator("li[data-event='headwater.flow-run.Running'] details")
    expect(running).to_have_attribute("open", "")
