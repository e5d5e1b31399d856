"""The Variables page in Chromium: list and filter, create, edit value and tags,
delete; a value or name the API would refuse is refused with its one-line reason."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess


def test_variables_list_create_edit_delete(page: Any, ui_server: ServerProcess) -> None:
    api = httpx.Client(base_url=ui_server.api_url, timeout=30)
    known = f"region-{uuid.uuid4().hex[:6]}"
    assert api.post("/variables", json={"name": known, "value": "eu-west-1", "tags": ["aws"]})
    page.goto(f"{ui_server.url}/variables")
    expect(page.get_by_role("link", name="Variables")).to_have_attribute("aria-current", "page")
    row = page.locator(f"tr[data-variable='{known}']")
    expect(row.get_by_label(f"Value of {known}")).to_have_value('"eu-west-1"')
    expect(row.get_by_label(f"Tags of {known}")).to_have_value("aws")

    # Create one with the form: JSON value, tags.
    name = f"batch-{uuid.uuid4().hex[:6]}"
    form = page.locator("form.new-variable")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Value (JSON)").fill('{"size": 500, "dry_run": false}')
    form.get_by_label("Tags").fill("etl, nightly")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created variable {name}")
    made = api.get(f"/variables/{name}").json()
    assert made["value"] == {"size": 500, "dry_run": False}
    assert made["tags"] == ["etl", "nightly"]

    # A bare word is not JSON: refused, the draft is kept, nothing is stored.
    page.expected_statuses = {400, 409}
    form = page.locator("form.new-variable")
    form.get_by_label("Name").fill("bare-word")
    form.get_by_label("Value (JSON)").fill("hello")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Nothing was changed: value: 'hello' is not JSON (a string needs quotes: \"hello\")"
    )
    expect(page.locator("form.new-variable").get_by_label("Name")).to_have_value("bare-word")
    assert api.get("/variables/bare-word").status_code == 404
    # The same name twice: the server's one line.
    form = page.locator("form.new-variable")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Value (JSON)").fill("1")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("exists already")
    # A name the schema refuses (upper case is not allowed; the browser's own
    # pattern check is bypassed to reach the server's).
    form = page.locator("form.new-variable")
    form.get_by_label("Name").evaluate("el => el.removeAttribute('pattern')")
    form.get_by_label("Name").fill("Bad Name")
    form.get_by_label("Value (JSON)").fill("1")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("name: variable names are 1-255 characters")
    assert len(page.get_by_role("alert").inner_text().splitlines()) == 1

    # Filter by name and by tag.
    page.goto(f"{ui_server.url}/variables?q={name}")
    expect(page.locator("table.variables tbody tr")).to_have_count(1)
    page.goto(f"{ui_server.url}/variables?tag=aws")
    expect(page.locator(f"tr[data-variable='{known}']")).to_have_count(1)
    expect(page.locator(f"tr[data-variable='{name}']")).to_have_count(0)

    # Edit in place: a new value and new tags.
    page.goto(f"{ui_server.url}/variables")
    row = page.locator(f"tr[data-variable='{known}']")
    row.get_by_label(f"Value of {known}").fill('"us-east-2"')
    row.get_by_label(f"Tags of {known}").fill("aws, prod")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved variable {known}")
    saved = api.get(f"/variables/{known}").json()
    assert (saved["value"], saved["tags"]) == ("us-east-2", ["aws", "prod"])

    # Delete both (the page asks first).
    for target in (known, name):
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(f"tr[data-variable='{target}']").get_by_role("button", name="Delete").click()
        expect(page.get_by_role("status")).to_contain_text(f"Deleted variable {target}")
        assert api.get(f"/variables/{target}").status_code == 404
    api.close()
