"""Proactive triggers fire at their deadline with no other event; a recorded action
survives a server restart and is delivered once the receiver answers."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from headwater.automations import Automation, CallWebhook, EventTrigger
from headwater.blocks.notifications import Webhook
from headwater.client.http import HttpClient
from headwater.core.events import Event
from tests._servers import ServerProcess
from tests.blocks.conftest import Receiver
from tests.server.automations.test_notifications import wait_for


def _event(name: str, resource_id: str) -> dict[str, object]:
    return Event(event=name, resource={"headwater.resource.id": resource_id}).to_record()


def test_proactive_trigger_fires_at_its_deadline(
    server_client: HttpClient, receiver: Receiver
) -> None:
    tag = uuid.uuid4().hex[:8]
    block_id = Webhook(url=f"{receiver.url}/late").save(f"late-{tag}")
    automation = Automation(
        name=f"job-{tag}-stalled",
        trigger=EventTrigger(
            posture="Proactive",
            after={f"job.{tag}.started"},
            expect={f"job.{tag}.finished"},
            for_each={"headwater.resource.id"},
            within=1.5,
        ),
        actions=[
            CallWebhook(
                block_document_id=block_id,
                payload='{"job": "{{ event.resource_id }}", "seen": {{ firing.count }}}',
            )
        ],
    ).create()
    time.sleep(1.2)  # the server reloads automations (at most one tail period)
    server_client.emit_events(
        [_event(f"job.{tag}.started", f"job.{tag}.a"), _event(f"job.{tag}.started", f"job.{tag}.b")]
    )
    started = time.monotonic()
    server_client.emit_events([_event(f"job.{tag}.finished", f"job.{tag}.b")])
    [request] = wait_for(receiver, timeout=10)
    elapsed = time.monotonic() - started
    assert request.json() == {"job": f"job.{tag}.a", "seen": 0}  # b finished in time
    assert 1.3 <= elapsed <= 1.5 + 1.0, elapsed
    time.sleep(0.5)
    assert len(receiver.requests) == 1
    automation.delete()


def test_recorded_action_survives_a_restart(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ServerProcess(tmp_path / "server") as server:
        monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
        receiver.status = 503  # down: the action is recorded and retried
        block_id = Webhook(url=f"{receiver.url}/restart").save("restart-hook")
        Automation(
            name="restart-safe",
            trigger=EventTrigger(expect={"deploy.done"}),
            actions=[CallWebhook(block_document_id=block_id, payload='{"ok": true}')],
        ).create()
        with HttpClient(server.api_url, retry_seconds=10) as client:
            time.sleep(1.2)  # the server reloads automations
            client.emit_events([_event("deploy.done", "app.api")])
        assert wait_for(receiver, 1)  # a first attempt, refused
        server.kill()  # no shutdown at all
        keys = {r.headers["idempotency-key"] for r in receiver.requests}
        receiver.requests.clear()
        receiver.status = 200
        server.start()
        [delivered, *_] = wait_for(receiver, 1, timeout=20)
        assert delivered.json() == {"ok": True}
        assert delivered.headers["idempotency-key"] in keys  # the same recorded action
        time.sleep(1.0)
        assert len(receiver.requests) == 1  # delivered once
