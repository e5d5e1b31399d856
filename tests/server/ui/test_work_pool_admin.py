"""Creating and deleting work pools in the browser; bad input is refused field by
field with the server's one-line reason and nothing is created."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess


def test_create_and_delete_a_work_pool(page: Any, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    name = f"pool-{uuid.uuid4().hex[:6]}"
    page.goto(f"{ui_server.url}/work-pools")
    form = page.locator("form.new-pool")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Type").fill("process")
    form.get_by_label("Description").fill("nightly batch")
    form.get_by_label("Concurrency limit").fill("4")
    form.get_by_role("button", name="Create pool").click()
    page.wait_for_url(f"**/work-pools/{name}?notice=*")
    expect(page.get_by_role("status")).to_contain_text(f"Created work pool {name} (process)")
    made = api.get(f"/work_pools/{name}").json()
    assert (made["type"], made["concurrency_limit"], made["description"]) == (
        "process",
        4,
        "nightly batch",
    )

    # Bad input: a limit that is not a number, a type the schema refuses, a taken name.
    page.expected_statuses = {400, 409}
    page.goto(f"{ui_server.url}/work-pools")
    form = page.locator("form.new-pool")
    form.get_by_label("Name").fill("other-pool")
    form.get_by_label("Type").fill("Not A Type")
    form.get_by_label("Concurrency limit").fill("many")
    form.get_by_role("button", name="Create pool").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was created: Concurrency limit: 'many' is not a whole")
    expect(alert).to_contain_text("Type: String should match pattern")
    assert len(alert.inner_text().splitlines()) == 1
    expect(page.locator("form.new-pool").get_by_label("Name")).to_have_value("other-pool")
    expect(page.locator("form.new-pool").get_by_label("Type")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert api.get("/work_pools/other-pool").status_code == 404
    form = page.locator("form.new-pool")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Type").fill("process")
    form.get_by_label("Concurrency limit").fill("")
    form.get_by_role("button", name="Create pool").click()
    expect(page.get_by_role("alert")).to_contain_text(f"work pool '{name}' already exists")

    # Delete it from its page (asked first).
    page.goto(f"{ui_server.url}/work-pools/{name}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete pool").click()
    page.wait_for_url("**/work-pools?notice=*")
    expect(page.get_by_role("status")).to_contain_text(f"Deleted work pool {name}")
    assert api.get(f"/work_pools/{name}").status_code == 404
    api.close()
