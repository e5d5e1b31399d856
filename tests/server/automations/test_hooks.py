"""Incoming webhooks on a real server: an outside POST becomes an event (templated from
its body, headers and query) and an automation runs a deployment from it; unknown
and disabled hooks are 404, a template that cannot make an event is 400 (one line)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from headwater.automations import Automation, EventTrigger, RunDeployment
from headwater.client.http import HttpClient
from headwater.schemas.events import EventFilter
from headwater.schemas.filters import FlowRunFilter
from headwater.schemas.webhooks import WebhookCreate, WebhookUpdate
from tests._servers import ServerProcess
from tests.client.conformance.contract_deployments import deployment

TEMPLATE = """{
  "event": "github.{{ headers['x-github-event'] }}",
  "resource": {
    "headwater.resource.id": "github.repo.{{ body.repository.name }}",
    "headwater.resource.name": {{ body.repository.name | tojson }}
  },
  "payload": {"ref": {{ body.ref | tojson }}, "env": {{ query.env | tojson }}}
}"""


def _hook_url(client: HttpClient, slug: str) -> str:
    return f"{client.api_url.rstrip('/')}/hooks/{slug}"


def _event(client: HttpClient, event_id: str) -> dict[str, Any]:
    flt = EventFilter.model_validate({"id": {"id": [event_id]}})
    [event] = client.read_events(flt).events
    return event


def test_a_post_to_a_hook_runs_a_deployment(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    hook = server_client.create_webhook(WebhookCreate(name=f"github-{tag}", template=TEMPLATE))
    automation = Automation(
        name=f"on-push-{tag}",
        trigger=EventTrigger(
            expect={"github.push"},
            match={"headwater.resource.id": f"github.repo.{tag}"},
            match_related={"headwater.resource.role": "webhook"},
        ),
        actions=[
            RunDeployment(
                deployment_id=made.id,
                parameters={
                    "n": "{{ event.payload.ref | length }}",
                    "who": "{{ event.payload.env }}",
                },
            )
        ],
    ).create()
    response = httpx.post(
        _hook_url(server_client, hook.slug) + "?env=prod",
        json={"ref": "refs/heads/main", "repository": {"name": tag}},
        headers={"X-GitHub-Event": "push"},
    )
    assert response.status_code == 204, response.text
    event = _event(server_client, response.headers["x-headwater-event-id"])
    assert event["event"] == "github.push"
    assert event["resource"]["headwater.resource.name"] == tag
    assert event["payload"] == {"ref": "refs/heads/main", "env": "prod"}
    assert event["related"] == [
        {
            "headwater.resource.id": f"headwater.webhook.{hook.id}",
            "headwater.resource.role": "webhook",
            "headwater.resource.name": f"github-{tag}",
        }
    ]
    flt = FlowRunFilter(deployment_ids=[made.id])
    deadline = time.monotonic() + 15
    while not server_client.read_flow_runs(flow_run_filter=flt) and time.monotonic() < deadline:
        time.sleep(0.05)
    [run] = server_client.read_flow_runs(flow_run_filter=flt)
    assert run.parameters == {"n": len("refs/heads/main"), "who": "prod"}
    automation.delete()
    server_client.delete_webhook(hook.id)


def test_form_and_text_bodies(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    template = (
        '{"event": "form.{{ method | lower }}", "resource": {"headwater.resource.id": "f.'
        + tag
        + '"}, "payload": {"body": {{ body | tojson }}}}'
    )
    hook = server_client.create_webhook(WebhookCreate(name=f"form-{tag}", template=template))
    url = _hook_url(server_client, hook.slug)
    form = httpx.post(url, data={"a": "1", "b": "two"})
    assert form.status_code == 204, form.text
    assert _event(server_client, form.headers["x-headwater-event-id"])["payload"] == {
        "body": {"a": "1", "b": "two"}
    }
    text = httpx.put(url, content=b"plain words", headers={"Content-Type": "text/plain"})
    assert text.status_code == 204, text.text
    made = _event(server_client, text.headers["x-headwater-event-id"])
    assert made["event"] == "form.put" and made["payload"] == {"body": "plain words"}
    server_client.delete_webhook(hook.id)


def test_unknown_disabled_and_bad_templates(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    assert httpx.post(_hook_url(server_client, "no-such-hook"), json={}).status_code == 404
    assert httpx.post(_hook_url(server_client, "a%00b")).status_code == 404  # not a slug
    ok = '{"event": "x.y", "resource": {"headwater.resource.id": "x"}}'
    hook = server_client.create_webhook(WebhookCreate(name=f"bad-{tag}", template=ok))
    url = _hook_url(server_client, hook.slug)
    assert httpx.post(url).status_code == 204  # a static template needs no body
    server_client.update_webhook(hook.id, WebhookUpdate(enabled=False))
    off = httpx.post(url, json={})
    assert off.status_code == 404 and off.json() == {"detail": "no such webhook"}
    server_client.update_webhook(hook.id, WebhookUpdate(enabled=True))
    cases = {
        '{"event": "x", "resource": {"headwater.resource.id": "{{ 1 / 0 }}"}}': "division",
        "not json {{ body }}": "did not render to JSON",
        '[{"event": "x"}]': "must render to a JSON object",
        '{"event": "x.y"}': "no 'resource'",
        '{"event": "x.y", "resource": {"name": "n"}}': "headwater.resource.id",
    }
    for template, words in cases.items():
        server_client.update_webhook(hook.id, WebhookUpdate(template=template))
        answer = httpx.post(url, json={"a": 1})
        assert answer.status_code == 400, (template, answer.text)
        detail = answer.json()["detail"]
        assert words in detail and "\n" not in detail and detail.startswith(f"webhook 'bad-{tag}'")
    bad = httpx.post(
        f"{server_client.api_url}/webhooks/",
        json={"name": f"x-{tag}", "template": "{{ body.x "},
    )
    assert bad.status_code == 422 and "not valid Jinja" in bad.json()["detail"]
    rotated = server_client.rotate_webhook(hook.id)
    server_client.update_webhook(hook.id, WebhookUpdate(template=ok))
    assert httpx.post(url).status_code == 404
    assert httpx.post(_hook_url(server_client, rotated.slug)).status_code == 204
    server_client.delete_webhook(hook.id)


def test_hooks_need_no_api_key(tmp_path: Path) -> None:
    key = "s3cret-key"
    with ServerProcess(tmp_path, api_key=key) as server:
        with HttpClient(server.api_url, api_key=key) as client:
            hook = client.create_webhook(
                WebhookCreate(
                    name="open",
                    template='{"event": "x.y", "resource": {"headwater.resource.id": "x"}}',
                )
            )
        assert httpx.post(f"{server.api_url}/webhooks/filter", json={}).status_code == 401
        assert httpx.post(f"{server.api_url}/hooks/{hook.slug}").status_code == 204
        assert httpx.post(f"{server.api_url}/hooks/guess").status_code == 404
