"""Work pool pages in Chromium against a real server: list, pause/resume, queues,
workers' heartbeats, bad input and 404s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess
from tests._workers import worker
from tests.server.ui.conftest import screenshot


def _api(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.api_url, timeout=10)


def _pool(server: ServerProcess, name: str, **fields: Any) -> None:
    with _api(server) as api:
        assert api.post("/work_pools", json={"name": name, **fields}).status_code == 201


def _heartbeat(server: ServerProcess, pool: str, name: str, seconds: float = 30.0) -> None:
    body = {"name": name, "hostname": "build-7", "pid": 4242, "heartbeat_seconds": seconds}
    with _api(server) as api:
        assert api.post(f"/work_pools/{pool}/workers/heartbeat", json=body).status_code == 204


def _queue(server: ServerProcess, pool: str, queue: str) -> dict[str, Any]:
    with _api(server) as api:
        answer = api.get(f"/work_pools/{pool}/queues/{queue}")
        assert answer.status_code == 200
        return dict(answer.json())


def test_pools_list_shows_counts_and_links_to_the_pool(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "list-pool", concurrency_limit=4, description="Nightly ETL machines")
    _heartbeat(ui_server, "list-pool", "alive")
    _heartbeat(ui_server, "list-pool", "stale", seconds=0.1)
    time.sleep(0.4)  # three heartbeat intervals of "stale" have passed: it is offline
    page.goto(f"{ui_server.url}/work-pools")
    row = page.locator("tr", has=page.get_by_role("link", name="list-pool"))
    expect(row).to_contain_text("process")
    expect(row).to_contain_text("Ready")
    expect(row.locator("td").nth(3)).to_have_text("4")
    expect(row.locator("td").nth(4)).to_have_text("1")  # the default queue
    expect(row.locator("td").nth(5)).to_have_text("1 / 2")
    expect(row.locator("td").nth(6)).to_have_text("0")
    page.get_by_role("link", name="list-pool").click()
    expect(page.get_by_role("heading", name="Work pool list-pool")).to_be_visible()
    alive = page.locator("tr[data-worker='alive']")
    expect(alive).to_contain_text("Online")
    expect(alive).to_contain_text("build-7")
    expect(alive).to_contain_text("4242")
    expect(page.locator("tr[data-worker='stale']")).to_contain_text("Offline")


def test_pause_and_resume_a_pool_from_the_browser(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "pausable")
    page.goto(f"{ui_server.url}/work-pools/pausable")
    page.once("dialog", lambda dialog: dialog.accept())  # the "are you sure" question
    page.get_by_role("button", name="Pause pool").click()
    expect(page.get_by_role("status")).to_contain_text("Pool pausable paused")
    expect(page.locator(".page-head .badge")).to_have_text("Paused")
    with _api(ui_server) as api:
        assert api.get("/work_pools/pausable").json()["paused"] is True
    page.get_by_role("button", name="Resume pool").click()
    expect(page.get_by_role("status")).to_contain_text("Pool pausable resumed")
    with _api(ui_server) as api:
        assert api.get("/work_pools/pausable").json()["paused"] is False


def test_edit_a_queue_priority_limit_and_pause(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "queues-pool")
    page.goto(f"{ui_server.url}/work-pools/queues-pool")
    page.get_by_label("Priority of default").fill("7")
    page.get_by_label("Concurrency limit of default").fill("3")
    page.get_by_label("default paused").check()
    page.get_by_role("button", name="Save default").click()
    expect(page.get_by_role("status")).to_contain_text("priority 7, concurrency limit 3, paused")
    queue = _queue(ui_server, "queues-pool", "default")
    assert (queue["priority"], queue["concurrency_limit"], queue["paused"]) == (7, 3, True)
    expect(page.get_by_label("Priority of default")).to_have_value("7")
    # An empty limit removes it; unchecking resumes the queue.
    page.get_by_label("Concurrency limit of default").fill("")
    page.get_by_label("default paused").uncheck()
    page.get_by_role("button", name="Save default").click()
    expect(page.get_by_role("status")).to_contain_text("concurrency limit none, active")
    queue = _queue(ui_server, "queues-pool", "default")
    assert (queue["concurrency_limit"], queue["paused"]) == (None, False)


def test_bad_queue_values_are_marked_and_nothing_changes(
    ui_server: ServerProcess, page: Any
) -> None:
    _pool(ui_server, "strict-pool")
    before = _queue(ui_server, "strict-pool", "default")
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/work-pools/strict-pool")
    page.get_by_label("Priority of default").fill("abc")
    page.get_by_label("Concurrency limit of default").fill("-2")
    page.get_by_role("button", name="Save default").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    priority = page.get_by_label("Priority of default")
    expect(priority).to_have_attribute("aria-invalid", "true")
    expect(priority).to_have_value("abc")  # what was typed stays, to be corrected
    row = page.locator("tr[data-queue='default']")
    expect(row.locator(".field-error").first).to_have_text("'abc' is not a whole number")
    expect(row.locator(".field-error").nth(1)).to_contain_text("greater than or equal to 0")
    after = _queue(ui_server, "strict-pool", "default")
    assert after["priority"] == before["priority"] and after["updated"] == before["updated"]
    page.get_by_label("Pool concurrency limit").fill("-1")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#pool-concurrency")).to_have_attribute("aria-invalid", "true")
    with _api(ui_server) as api:
        assert api.get("/work_pools/strict-pool").json()["concurrency_limit"] is None


def test_create_a_queue_and_refuse_a_duplicate(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "grow-pool")
    page.goto(f"{ui_server.url}/work-pools/grow-pool")
    page.get_by_text("New queue").click()
    page.get_by_label("Queue name").fill("urgent")
    page.get_by_label("Queue priority").fill("1")
    page.get_by_label("Queue concurrency limit").fill("2")
    page.get_by_role("button", name="Create queue").click()
    expect(page.get_by_role("status")).to_contain_text("Queue urgent created")
    expect(page.locator("tr[data-queue='urgent']")).to_be_visible()
    assert _queue(ui_server, "grow-pool", "urgent")["concurrency_limit"] == 2
    page.expected_statuses = {400}
    page.get_by_text("New queue").click()
    page.get_by_label("Queue name").fill("urgent")
    page.get_by_role("button", name="Create queue").click()
    expect(page.locator("#new-queue-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".new-queue .field-error")).to_contain_text("already exists")


def test_a_real_worker_shows_up_online_with_its_heartbeat(
    ui_server: ServerProcess, page: Any, tmp_path: Path
) -> None:
    _pool(ui_server, "real-pool")
    with worker(tmp_path / "worker-home", ui_server.api_url, "real-pool", name="real-worker"):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with _api(ui_server) as api:
                if api.get("/work_pools/real-pool/workers").json():
                    break
            time.sleep(0.1)
        page.goto(f"{ui_server.url}/work-pools/real-pool")
        row = page.locator("tr[data-worker='real-worker']")
        expect(row).to_contain_text("Online")
        expect(row.locator("time")).to_have_count(1)
        expect(row).to_contain_text("ago")


def test_unknown_pool_is_a_404_page(ui_server: ServerProcess, page: Any) -> None:
    page.expected_statuses = {404}
    answer = page.goto(f"{ui_server.url}/work-pools/no-such-pool")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator(".error-page")).to_contain_text("work pool 'no-such-pool' not found")
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/work-pools")
        token = client.cookies["hw_csrf"]
        refused = client.post("/work-pools/no-such-pool/pause", data={"csrf_token": token})
        assert refused.status_code == 404 and "text/html" in refused.headers["content-type"]
        queue = client.post(
            "/work-pools/no-such-pool/queues/default", data={"csrf_token": token, "priority": "2"}
        )
        assert queue.status_code == 404


def test_screenshot_of_a_work_pool(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "production", concurrency_limit=20, description="The ETL machines")
    with httpx.Client(base_url=ui_server.api_url) as api:
        api.post("/work_pools/production/queues", json={"name": "critical", "priority": 1})
        api.patch("/work_pools/production/queues/default", json={"priority": 5})
        api.post(
            "/work_pools/production/queues",
            json={"name": "backfill", "priority": 10, "concurrency_limit": 2, "paused": True},
        )
    for name in ("etl-worker-1", "etl-worker-2"):
        _heartbeat(ui_server, "production", name)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/work-pools/production")
    expect(page.locator("tr[data-worker='etl-worker-2']")).to_be_visible()
    assert screenshot(page, "ui-work-pool.png").stat().st_size < 200_000
