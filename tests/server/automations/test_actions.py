"""Actions on a real server: a deployment run with parameters templated from the
event; pausing a deployment; cancelling the flow run an event is about."""

from __future__ import annotations

import time
import uuid
from typing import Any

from headwater.automations import (
    Automation,
    CancelFlowRun,
    EventTrigger,
    PauseDeployment,
    RunDeployment,
)
from headwater.client.http import HttpClient
from headwater.core.events import Event
from headwater.schemas.filters import FlowRunFilter
from headwater.states import Pending, StateType
from tests.client.conformance.contract_deployments import deployment
from tests.client.conformance.records import new_run


def _until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    return check()


def test_run_deployment_with_templated_parameters(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    automation = Automation(
        name=f"rerun-{tag}",
        trigger=EventTrigger(expect={f"upload.{tag}.done"}),
        actions=[
            RunDeployment(
                deployment_id=made.id,
                parameters={"n": "{{ event.payload.rows }}", "who": "{{ event.resource_id }}"},
            ),
            PauseDeployment(source="inferred"),  # the event is about no deployment: fails alone
        ],
    ).create()
    time.sleep(1.2)
    event = Event(
        event=f"upload.{tag}.done",
        resource={"headwater.resource.id": f"bucket.{tag}"},
        payload={"rows": 42},
    )
    server_client.emit_events([event.to_record()])
    flt = FlowRunFilter(deployment_ids=[made.id])
    runs = _until(lambda: server_client.read_flow_runs(flow_run_filter=flt))
    assert [r.parameters for r in runs] == [{"n": 42, "who": f"bucket.{tag}"}]
    assert "automation" in runs[0].tags
    automation.delete()


def test_pause_deployment_and_cancel_flow_run_inferred(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    run = new_run(server_client, Pending(), tags=[tag])
    automation = Automation(
        name=f"stop-{tag}",
        trigger=EventTrigger(
            expect={"headwater.flow-run.Running"},
            match_related={"headwater.resource.id": f"headwater.tag.{tag}"},
        ),
        actions=[CancelFlowRun(), PauseDeployment(deployment_id=made.id)],
    ).create()
    time.sleep(1.2)
    from headwater.states import Running

    server_client.set_flow_run_state(run["id"], Running())
    state = _until(
        lambda: (
            server_client.read_flow_run(run["id"]).state.type
            in (StateType.CANCELLING, StateType.CANCELLED)
        )
    )
    assert state
    assert _until(lambda: server_client.read_deployment(made.id).paused)
    automation.delete()
