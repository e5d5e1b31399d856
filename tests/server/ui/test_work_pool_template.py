"""A work pool's base job template on its page, in Chromium against a real server: the
job variables as a form generated from their JSON schema, filled with their defaults;
saving new defaults; a default of the wrong type marked with nothing changed; the job
configuration shown."""

from __future__ import annotations

import json
from typing import Any

import httpx
from playwright.sync_api import expect

from headwater.workers.kubernetes import KubernetesWorker
from tests._servers import ServerProcess


def _pool(server: ServerProcess, name: str) -> None:
    body = {
        "name": name,
        "type": "kubernetes",
        "base_job_template": KubernetesWorker.default_base_job_template(),
    }
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        assert api.post("/work_pools", json=body).status_code == 201


def _variables(server: ServerProcess, name: str) -> dict[str, Any]:
    with httpx.Client(base_url=server.api_url, timeout=10) as api:
        template = api.get(f"/work_pools/{name}").json()["base_job_template"]
    return {k: v.get("default") for k, v in template["variables"]["properties"].items()}


def test_the_template_defaults_are_a_form_that_saves(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "kube-ui")
    page.goto(f"{ui_server.url}/work-pools/kube-ui")
    expect(page.get_by_role("heading", name="Base job template")).to_be_visible()
    expect(page.locator("#param-namespace")).to_have_value("default")
    expect(page.locator("#param-image_pull_policy")).to_have_value('"IfNotPresent"')
    expect(page.locator("#param-pod_watch_timeout_seconds")).to_have_value("60")
    expect(page.locator("#param-stream_output")).to_be_checked()
    page.locator("details.job-configuration summary").click()
    expect(page.locator("details.job-configuration pre")).to_contain_text('"job_manifest"')

    page.locator("#param-namespace").fill("flows")
    page.locator("#param-image_pull_policy").select_option(label="Always")
    page.locator("#param-finished_job_ttl").fill("600")
    page.locator("#param-stream_output").uncheck()
    page.locator("#param-labels").fill(json.dumps({"team": "data"}))
    page.locator("#param-service_account_name").fill("")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_role("status")).to_contain_text("base job template defaults saved")
    saved = _variables(ui_server, "kube-ui")
    assert saved["namespace"] == "flows"
    assert saved["image_pull_policy"] == "Always"
    assert saved["finished_job_ttl"] == 600
    assert saved["stream_output"] is False
    assert saved["labels"] == {"team": "data"}
    assert saved["service_account_name"] is None
    expect(page.locator("#param-namespace")).to_have_value("flows")


def test_a_default_of_the_wrong_type_changes_nothing(ui_server: ServerProcess, page: Any) -> None:
    _pool(ui_server, "kube-strict")
    before = _variables(ui_server, "kube-strict")
    page.expected_statuses = {400}
    page.goto(f"{ui_server.url}/work-pools/kube-strict")
    page.locator("#param-labels").fill('["not", "an", "object"]')
    page.locator("#param-env").fill("{broken")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.locator("#param-labels")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#param-labels-error")).to_contain_text("must be object, not list")
    expect(page.locator("#param-env-error")).to_contain_text("is not valid JSON")
    expect(page.locator("#param-env")).to_have_value("{broken")  # kept, to be corrected
    assert _variables(ui_server, "kube-strict") == before
