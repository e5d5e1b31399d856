"""SLAs on a real server: each kind of breach emits one ``headwater.sla.violation``
on time, with no other event to wake the server, and an automation turns it into a
webhook call to a local receiver."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from headwater.automations import Automation, CallWebhook, EventTrigger
from headwater.blocks.notifications import Webhook
from headwater.client.http import HttpClient
from headwater.schemas.deployments import DeploymentFlowRunCreate
from headwater.schemas.events import EventFilter
from headwater.slas import FrequencySla, LatenessSla, TimeToCompletionSla
from headwater.states import Completed, Running
from tests._servers import ServerProcess
from tests.blocks.conftest import Receiver
from tests.client.conformance.contract_deployments import deployment
from tests.server.automations.test_notifications import wait_for

#: Slack for a loaded 2-core machine: a breach must come within this of its deadline.
LATE_OK = 2.0


def violations(client: HttpClient, deployment_id: UUID) -> list[dict[str, Any]]:
    flt = EventFilter.model_validate(
        {
            "event": {"name": ["prefect.sla.violation"]},
            "related": {"id": [f"headwater.deployment.{deployment_id}"]},
            "order": "ASC",
        }
    )
    return client.read_events(flt, limit=100).events


def until_violations(
    client: HttpClient, deployment_id: UUID, count: int, timeout: float = 15.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = violations(client, deployment_id)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return violations(client, deployment_id)


def _occurred(event: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(event["occurred"]).timestamp()


def _start(client: HttpClient, deployment_id: UUID) -> Any:
    run = client.create_flow_run_from_deployment(deployment_id, DeploymentFlowRunCreate())
    client.set_flow_run_state(run.id, Running())
    return client.read_flow_run(run.id)


def test_time_to_completion_breach_calls_a_webhook(
    server_client: HttpClient, receiver: Receiver
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(
        deployment(sla=[TimeToCompletionSla(name=f"quick-{tag}", duration=1.5, severity="high")])
    )
    block_id = Webhook(url=f"{receiver.url}/sla/{tag}").save(f"sla-{tag}")
    automation = Automation(
        name=f"sla-{tag}",
        trigger=EventTrigger(
            expect={"prefect.sla.violation"},
            match_related={"prefect.resource.id": f"prefect.deployment.{made.id}"},
        ),
        actions=[
            CallWebhook(
                block_document_id=block_id,
                payload='{"sla": "{{ event.resource[\'headwater.resource.name\'] }}", '
                '"severity": "{{ event.resource[\'headwater.sla.severity\'] }}", '
                '"run": "{{ flow_run.id }}", "deployment": "{{ deployment.name }}"}',
            )
        ],
    ).create()
    quick = _start(server_client, made.id)  # finishes in time: no breach
    slow = _start(server_client, made.id)
    server_client.set_flow_run_state(quick.id, Completed())
    [request] = wait_for(receiver)
    assert request.json() == {
        "sla": f"quick-{tag}",
        "severity": "high",
        "run": str(slow.id),
        "deployment": "nightly",
    }
    [event] = violations(server_client, made.id)
    deadline = slow.start_time.timestamp() + 1.5
    assert deadline <= _occurred(event) <= deadline + LATE_OK
    related = {r["headwater.resource.role"]: r["headwater.resource.id"] for r in event["related"]}
    assert related["flow-run"] == f"headwater.flow-run.{slow.id}"
    assert related["deployment"] == f"headwater.deployment.{made.id}"
    assert event["payload"]["sla"]["type"] == "time-to-completion"
    time.sleep(1.0)  # once per breach: the run still running makes no second event
    assert len(violations(server_client, made.id)) == 1 and len(receiver.requests) == 1
    automation.delete()


def test_lateness_breach_of_a_run_not_started(server_client: HttpClient) -> None:
    made = server_client.apply_deployment(
        deployment(sla=[LatenessSla(name="on-time", within=dt.timedelta(seconds=1))])
    )
    run = server_client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
    started = _start(server_client, made.id)  # started: never late
    [event] = until_violations(server_client, made.id, 1)
    expected = server_client.read_flow_run(run.id).expected_start_time.timestamp()
    assert expected + 1.0 <= _occurred(event) <= expected + 1.0 + LATE_OK
    assert event["payload"]["flow_run_id"] == str(run.id)
    assert event["resource"]["headwater.sla.type"] == "lateness"
    time.sleep(0.5)
    assert [e["payload"]["flow_run_id"] for e in violations(server_client, made.id)] == [
        str(run.id)
    ]
    assert started.id != run.id


def test_frequency_breach_once_per_gap(server_client: HttpClient) -> None:
    made = server_client.apply_deployment(
        deployment(sla=[FrequencySla(name="often", stale_after=1.5, labels={"team": "data"})])
    )
    [sla] = server_client.read_deployment_slas(made.id)
    [first] = until_violations(server_client, made.id, 1)
    assert sla.created.timestamp() + 1.5 <= _occurred(first) <= sla.created.timestamp() + 3.5
    assert first["resource"]["team"] == "data" and first["payload"]["flow_run_id"] is None
    run = _start(server_client, made.id)
    server_client.set_flow_run_state(run.id, Completed())
    end = server_client.read_flow_run(run.id).end_time.timestamp()
    found = until_violations(server_client, made.id, 2)
    assert len(found) == 2
    assert end + 1.5 <= _occurred(found[1]) <= end + 1.5 + LATE_OK
    time.sleep(1.0)
    assert len(violations(server_client, made.id)) == 2


def test_a_completed_run_restarts_the_frequency_gap(server_client: HttpClient) -> None:
    made = server_client.apply_deployment(
        deployment(sla=[FrequencySla(name="often", stale_after=2.0)])
    )
    time.sleep(1.0)  # the monitor has looked once: it knows of no completed run
    run = _start(server_client, made.id)
    server_client.set_flow_run_state(run.id, Completed())
    end = server_client.read_flow_run(run.id).end_time.timestamp()
    [event] = until_violations(server_client, made.id, 1)
    assert end + 2.0 <= _occurred(event) <= end + 2.0 + LATE_OK


def test_a_breach_is_not_emitted_again_after_a_restart(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as server, HttpClient(server.api_url) as client:
        made = client.apply_deployment(
            deployment(sla=[TimeToCompletionSla(name="quick", duration=0.5)])
        )
        _start(client, made.id)
        assert len(until_violations(client, made.id, 1)) == 1
        server.restart()
        time.sleep(1.5)  # more than a pass of the new server's monitor
        assert len(violations(client, made.id)) == 1
