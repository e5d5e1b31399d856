"""Block pages in Chromium against a real server: catalogue of built-in types, the
schema-generated forms, secrets that never reach the HTML, references, 404s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests._servers import ServerProcess
from tests._workers import client_env
from tests.server.ui.conftest import screenshot

BUILT_IN = (
    "Secret",
    "JSON",
    "String",
    "Webhook",
    "Slack Webhook",
    "SQLAlchemy Connector",
    "Local File System",
    "Remote File System",
)


def _document(server: ServerProcess, slug: str, name: str, secrets: bool = True) -> Any:
    query = {"include_secrets": "true"} if secrets else {}
    return httpx.get(f"{server.api_url}/block_documents/{slug}/{name}", params=query)


def _pages_html(server: ServerProcess, *paths: str) -> str:
    with httpx.Client(base_url=server.url) as client:
        return "\n".join(client.get(path).text for path in paths)


def test_catalogue_of_a_fresh_server_lists_the_built_in_types(
    ui_server: ServerProcess, page: Any
) -> None:
    page.goto(f"{ui_server.url}/blocks/catalog")
    for name in BUILT_IN:
        card = page.locator(
            "section.block-type", has=page.get_by_role("heading", name=name, exact=True)
        )
        expect(card).to_have_count(1)
        expect(card.get_by_role("link", name="Create")).to_be_visible()
    secret = page.locator("section.block-type", has=page.get_by_role("heading", name="Secret"))
    expect(secret).to_contain_text("encrypted at rest")
    expect(secret).to_contain_text("Secret fields: value")


def test_create_a_secret_in_the_browser_and_read_it_back(
    ui_server: ServerProcess, page: Any, tmp_path: Path
) -> None:
    value = "s3cr3t-SENTINEL-4711"
    page.goto(f"{ui_server.url}/blocks/catalog")
    page.get_by_role("link", name="Create a Secret block").click()
    page.get_by_label("Name").fill("db-password")
    secret_input = page.get_by_label("Value")
    expect(secret_input).to_have_attribute("type", "password")
    secret_input.fill(value)
    page.get_by_role("button", name="Create block").click()
    expect(page).to_have_url(
        f"{ui_server.url}/blocks/secret/db-password?notice=Created%20secret/db-password."
    )
    expect(page.locator("tr[data-field='value']")).to_contain_text("secret")
    assert value not in page.content()
    # Through the HTTP API (revealed on request) and the Python API in another process.
    assert _document(ui_server, "secret", "db-password").json()["data"] == {"value": value}
    assert _document(ui_server, "secret", "db-password", secrets=False).json()["data"] == {
        "value": "**********"
    }
    code = "from headwater.blocks import Secret; print(Secret.load('db-password').get())"
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        env=client_env(tmp_path / "client", ui_server.api_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.stdout.strip() == value, loaded.stderr
    html = _pages_html(
        ui_server,
        "/blocks",
        "/blocks?type=secret",
        "/blocks/catalog",
        "/blocks/secret/db-password",
        "/blocks/secret/db-password/edit",
    )
    assert "db-password" in html and value not in html


def test_edit_keeps_a_secret_left_empty_and_replaces_a_typed_one(
    ui_server: ServerProcess, page: Any
) -> None:
    body = {"name": "hook", "url": "https://hooks.example/KEEP-ME", "method": "POST"}
    page.goto(f"{ui_server.url}/blocks/new/webhook")
    page.get_by_label("Name").fill(body["name"])
    page.get_by_label("Url").fill(body["url"])
    page.get_by_label("Headers").fill('{"Authorization": "Bearer HEADER-TOKEN"}')
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("status")).to_contain_text("Created webhook/hook")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Url")).to_have_value("")  # never filled with the secret
    expect(page.locator("#f_url-hint")).to_contain_text("leave this empty to keep it")
    assert "KEEP-ME" not in page.content() and "HEADER-TOKEN" not in page.content()
    page.get_by_label("Method").select_option("PUT")
    page.get_by_label("Timeout").fill("2.5")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Saved changes to webhook/hook")
    data = _document(ui_server, "webhook", "hook").json()["data"]
    assert data["url"] == body["url"] and data["headers"] == {
        "Authorization": "Bearer HEADER-TOKEN"
    }
    assert (data["method"], data["timeout"]) == ("PUT", 2.5)
    # A typed value replaces it; "remove" clears an optional secret.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Url").fill("https://hooks.example/NEW")
    page.get_by_label("Remove the saved value").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Saved changes")
    data = _document(ui_server, "webhook", "hook").json()["data"]
    assert data["url"] == "https://hooks.example/NEW" and data["headers"] is None


def test_invalid_values_are_marked_and_nothing_is_saved(
    ui_server: ServerProcess, page: Any
) -> None:
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/blocks/new/webhook")
    page.get_by_label("Name").fill("Not A Name")
    page.get_by_label("Timeout").fill("abc")
    page.get_by_label("Headers").fill("[1, 2]")
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    for field, message in (
        ("block_name", "block names are 1-255 characters"),
        ("f_url", "this field is required"),
        ("f_timeout", "'abc' is not a number"),
        ("f_headers", "must be an object"),
    ):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}-error")).to_contain_text(message)
    expect(page.get_by_label("Timeout")).to_have_value("abc")
    expect(page.get_by_label("Headers")).to_have_value("")  # a secret is never echoed
    page.get_by_label("Name").fill("ok-name")
    page.get_by_label("Url").fill("https://x.example")
    page.get_by_label("Timeout").fill("-1")
    page.get_by_role("button", name="Create block").click()
    expect(page.locator("#f_timeout-error")).to_have_text("must be more than 0")
    assert _document(ui_server, "webhook", "ok-name").status_code == 404
    # A JSON field: bad JSON, then the wrong shape.
    page.goto(f"{ui_server.url}/blocks/new/shell-operation")
    page.get_by_label("Name").fill("build")
    page.get_by_label("Commands").fill("[make")
    page.get_by_role("button", name="Create block").click()
    expect(page.locator("#f_commands-error")).to_contain_text("not valid JSON")
    page.get_by_label("Commands").fill('["make", 3]')
    page.get_by_role("button", name="Create block").click()
    expect(page.locator("#f_commands-error")).to_contain_text("must be a string at [1]")
    page.get_by_label("Commands").fill('["make", "make test"]')
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("status")).to_contain_text("Created shell-operation/build")
    assert _document(ui_server, "shell-operation", "build").json()["data"]["commands"] == [
        "make",
        "make test",
    ]


def test_reference_fields_choose_a_saved_block(ui_server: ServerProcess, page: Any) -> None:
    fields = {
        "title": "Uploader",
        "type": "object",
        "properties": {
            "target": {"$ref": "#/$defs/LocalFileSystem"},
            "retries": {"type": "integer", "minimum": 0, "default": 2, "title": "Retries"},
        },
        "required": ["target"],
        "$defs": {"LocalFileSystem": {"type": "object", "properties": {}}},
        "block_schema_references": {"target": ["local-file-system"]},
        "secret_fields": [],
    }
    registration = {
        "block_type": {"slug": "uploader", "name": "Uploader", "description": "Copies files."},
        "block_schema": {"checksum": "sha256:uploader-1", "version": "1", "fields": fields},
    }
    with httpx.Client(base_url=ui_server.api_url) as api:
        assert api.post("/block_types", json=registration).status_code == 200
    page.goto(f"{ui_server.url}/blocks/new/local-file-system")
    page.get_by_label("Name").fill("results")
    page.get_by_label("Basepath").fill("/srv/results")
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("status")).to_contain_text("Created local-file-system/results")
    page.goto(f"{ui_server.url}/blocks/new/uploader")
    page.get_by_label("Name").fill("nightly-upload")
    expect(page.get_by_label("Retries")).to_have_value("2")
    page.get_by_label("Target").select_option(label="local-file-system/results")
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("status")).to_contain_text("Created uploader/nightly-upload")
    page.get_by_role("link", name="local-file-system/results").click()
    expect(page.get_by_role("heading", name="results")).to_be_visible()
    saved = _document(ui_server, "uploader", "nightly-upload").json()
    assert saved["references"]["target"]["name"] == "results"
    assert saved["data"] == {"retries": 2}
    # Deleting a block another one uses is refused, with the reason shown.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("it is used by uploader/nightly-upload")


def test_list_filter_and_delete_with_confirmation(ui_server: ServerProcess, page: Any) -> None:
    page.goto(f"{ui_server.url}/blocks/new/string")
    page.get_by_label("Name").fill("greeting")
    page.get_by_label("Value").fill("hello")
    page.get_by_role("button", name="Create block").click()
    expect(page.get_by_role("status")).to_contain_text("Created string/greeting")
    page.goto(f"{ui_server.url}/blocks")
    page.get_by_label("Type").select_option("string")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{ui_server.url}/blocks?type=string")
    expect(page.locator("table.blocks tbody tr")).to_have_count(1)
    page.get_by_role("link", name="greeting").click()
    page.once("dialog", lambda dialog: dialog.dismiss())  # "no": nothing happens
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(f"{ui_server.url}/blocks/string/greeting")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted string/greeting")
    assert _document(ui_server, "string", "greeting").status_code == 404
    page.wait_for_load_state("networkidle")  # the favicon too, before the page closes


def test_unknown_blocks_types_and_filters(ui_server: ServerProcess, page: Any) -> None:
    for path, message in (
        ("/blocks/secret/never-saved", "no secret block named &#39;never-saved&#39;"),
        ("/blocks/no-such-type/x", "no no-such-type block named &#39;x&#39;"),
        ("/blocks/new/no-such-type", "no block type &#39;no-such-type&#39;"),
        ("/blocks/secret/never-saved/edit", "no secret block named &#39;never-saved&#39;"),
    ):
        answer = httpx.get(f"{ui_server.url}{path}")
        assert answer.status_code == 404 and "text/html" in answer.headers["content-type"], path
        assert message in answer.text, path
    page.expected_statuses = {400, 404}
    answer = page.goto(f"{ui_server.url}/blocks/secret/never-saved")
    assert answer is not None and answer.status == 404
    expect(page.locator(".error-page")).to_contain_text("no secret block named 'never-saved'")
    page.wait_for_load_state("networkidle")  # the favicon too, before the next page
    answer = page.goto(f"{ui_server.url}/blocks?type=nope")
    assert answer is not None and answer.status == 400
    expect(page.get_by_role("alert")).to_contain_text("There is no block type 'nope'")
    page.wait_for_load_state("networkidle")


def test_screenshot_of_the_block_catalogue(ui_server: ServerProcess, page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{ui_server.url}/blocks/catalog")
    expect(page.get_by_role("heading", name="Secret", exact=True)).to_be_visible()
    assert screenshot(page, "ui-blocks.png").stat().st_size < 200_000
