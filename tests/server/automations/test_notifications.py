"""Automations end to end on a real server: a failed run reaches a Slack-style webhook
receiver with the rendered message; a webhook call carries an idempotency key."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from headwater import flow, tags
from headwater.automations import (
    Automation,
    CallWebhook,
    EventTrigger,
    PauseAutomation,
    SendNotification,
)
from headwater.blocks.notifications import SlackWebhook, Webhook
from headwater.client.http import HttpClient
from headwater.client.writer import flush_all
from tests.blocks.conftest import Receiver


def wait_for(receiver: Receiver, count: int = 1, timeout: float = 15.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(receiver.requests) < count:
        time.sleep(0.02)
    return receiver.requests


def _tag() -> str:
    return f"auto-{uuid.uuid4().hex[:8]}"


def test_failed_run_notifies_a_slack_webhook(server_client: HttpClient, receiver: Receiver) -> None:
    tag = _tag()
    block_id = SlackWebhook(url=f"{receiver.url}/slack/{tag}").save(f"ops-{tag}")
    automation = Automation(
        name=f"failures-{tag}",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed"},
            match_related={
                "prefect.resource.role": "tag",
                "prefect.resource.id": f"prefect.tag.{tag}",
            },
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject="Run failed",
                body="{{ flow.name }}/{{ flow_run.name }}: "
                "{{ event.resource['headwater.state-message'] }}",
            )
        ],
    ).create()
    assert Automation.read(name=automation.name).id == automation.id

    @flow(name=f"nightly-{tag}", flow_run_name="run-1")
    def nightly() -> None:
        raise ValueError("the warehouse is down")

    with tags(tag), pytest.raises(ValueError):
        nightly()
    flush_all()
    [request] = wait_for(receiver)
    assert request.path == f"/slack/{tag}"
    text = request.json()["text"]
    assert text.startswith("*Run failed*")
    assert f"nightly-{tag}/run-1:" in text and "the warehouse is down" in text
    automation.delete()


def test_webhook_call_with_idempotency_key_and_pause_itself(
    server_client: HttpClient, receiver: Receiver
) -> None:
    tag = _tag()
    block_id = Webhook(url=f"{receiver.url}/hook/{tag}").save(f"hook-{tag}")
    automation = Automation(
        name=f"calls-{tag}",
        trigger=EventTrigger(
            expect={f"shop.{tag}.*"}, match={"headwater.resource.id": f"shop.{tag}.*"}
        ),
        actions=[
            CallWebhook(
                block_document_id=block_id,
                payload='{"order": "{{ event.resource_id }}", "n": {{ event.payload.n }}}',
            ),
            PauseAutomation(source="inferred"),
        ],
    ).create()
    server_client.emit_events(
        [
            {
                "id": str(uuid.uuid4()),
                "occurred": time.time(),
                "event": f"shop.{tag}.paid",
                "resource": {"headwater.resource.id": f"shop.{tag}.17"},
                "payload": {"n": 3},
            }
        ]
    )
    [request] = wait_for(receiver)
    assert request.json() == {"order": f"shop.{tag}.17", "n": 3}
    assert uuid.UUID(request.headers["idempotency-key"])
    deadline = time.monotonic() + 10
    while Automation.read(id=automation.id).enabled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Automation.read(id=automation.id).enabled is False
    automation.delete()
