"""Compound and sequence triggers on a real server (SQLite and PostgreSQL): events
posted through the API fire them; an automation file goes through
``headwater automation create --from-file`` and comes back the same from ``inspect``;
``SuspendFlowRun`` suspends the run an event is about."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from headwater.automations import (
    Automation,
    CompoundTrigger,
    EventTrigger,
    RunDeployment,
    SequenceTrigger,
    SuspendFlowRun,
)
from headwater.cli.app import app
from headwater.client.http import HttpClient
from headwater.core.events import Event
from headwater.schemas.deployments import DeploymentFlowRunCreate
from headwater.schemas.events import EventFilter, EventNameFilter, EventResourceFilter
from headwater.schemas.filters import FlowRunFilter
from headwater.states import Running
from tests.client.conformance.contract_deployments import deployment
from tests.server.automations.test_actions import _until


def _emit(client: HttpClient, name: str, rid: str, **payload: Any) -> None:
    event = Event(event=name, resource={"headwater.resource.id": rid}, payload=payload)
    client.emit_events([event.to_record()])


def _runs(client: HttpClient, deployment_id: uuid.UUID) -> list[Any]:
    flt = FlowRunFilter(deployment_ids=[deployment_id])
    return client.read_flow_runs(flow_run_filter=flt)


def _armed(automation: Automation) -> Automation:
    """Created, and given the service's reload pass (it looks again at least every 1 s)."""
    automation.create()
    time.sleep(1.2)
    return automation


def test_compound_all_runs_the_deployment_once_both_events_came(
    server_client: HttpClient,
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    automation = _armed(
        Automation(
            name=f"both-{tag}",
            trigger=CompoundTrigger(
                require="all",
                within=60,
                triggers=[
                    EventTrigger(expect={f"{tag}.extract.done"}),
                    EventTrigger(expect={f"{tag}.load.done"}),
                ],
            ),
            actions=[
                RunDeployment(deployment_id=made.id, parameters={"n": "{{ event.payload.n }}"})
            ],
        )
    )
    _emit(server_client, f"{tag}.extract.done", f"job.{tag}", n=1)
    _emit(server_client, f"{tag}.extract.done", f"job.{tag}", n=2)
    time.sleep(1.0)  # one child fired (twice): nothing yet
    assert _runs(server_client, made.id) == []
    _emit(server_client, f"{tag}.load.done", f"job.{tag}", n=3)
    runs = _until(lambda: _runs(server_client, made.id))
    assert [r.parameters["n"] for r in runs] == [3]  # the event that completed it
    automation.delete()


def test_sequence_fires_only_for_events_in_order(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    automation = _armed(
        Automation(
            name=f"in-order-{tag}",
            trigger=SequenceTrigger(
                triggers=[
                    EventTrigger(expect={f"{tag}.first"}),
                    EventTrigger(expect={f"{tag}.second"}),
                ]
            ),
            actions=[
                RunDeployment(deployment_id=made.id, parameters={"n": "{{ event.payload.n }}"})
            ],
        )
    )
    _emit(server_client, f"{tag}.second", f"job.{tag}", n=1)  # before first: ignored
    _emit(server_client, f"{tag}.first", f"job.{tag}", n=2)
    _emit(server_client, f"{tag}.second", f"job.{tag}", n=3)
    runs = _until(lambda: _runs(server_client, made.id))
    time.sleep(1.0)  # no second firing comes
    assert [r.parameters["n"] for r in _runs(server_client, made.id)] == [3]
    assert len(runs) == 1
    automation.delete()


def test_composite_automation_file_round_trips_through_the_cli(
    server_client: HttpClient, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    spec = {
        "name": f"file-{tag}",
        "description": "a sequence holding a compound",
        "enabled": True,
        "trigger": {
            "type": "sequence",
            "within": 300.0,
            "triggers": [
                {"expect": ["prefect.flow-run.Failed"], "match": {"prefect.resource.name": "a*"}},
                {
                    "type": "compound",
                    "require": 1,
                    "within": 0.0,
                    "triggers": [
                        {"expect": [f"{tag}.x"], "posture": "Proactive", "within": 60},
                        {"expect": [f"{tag}.y"], "threshold": 2, "within": 30},
                    ],
                },
            ],
        },
        "actions": [{"type": "suspend-flow-run"}],
        "tags": ["round-trip"],
    }
    path = tmp_path / "automation.json"
    path.write_text(json.dumps(spec))
    runner = CliRunner()
    made = runner.invoke(app, ["automation", "create", "--from-file", str(path)])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["automation", "ls"], env={"COLUMNS": "400"})
    assert "Sequence in order: [Reactive: headwater.flow-run.Failed; Compound 1 of" in (
        listed.output
    )
    shown = runner.invoke(app, ["automation", "inspect", f"file-{tag}"])
    assert shown.exit_code == 0, shown.output
    back = json.loads(shown.output)
    assert back["trigger"]["type"] == "sequence"
    inner = back["trigger"]["triggers"][1]
    assert (inner["type"], inner["require"]) == ("compound", 1)
    assert [t["posture"] for t in inner["triggers"]] == ["Proactive", "Reactive"]
    assert back["trigger"]["triggers"][0]["match"] == {"headwater.resource.name": "a*"}
    assert back["actions"] == [
        {"type": "suspend-flow-run", "source": "inferred", "flow_run_id": None,
         "timeout_seconds": 3600.0}
    ]  # fmt: skip
    # what inspect prints creates the same automation again
    path.write_text(shown.output)
    again = runner.invoke(app, ["automation", "create", "-f", str(path)])
    assert again.exit_code == 0, again.output
    twins = server_client.read_automations_by_name(f"file-{tag}")
    assert len(twins) == 2 and twins[0].trigger == twins[1].trigger
    for twin in twins:
        server_client.delete_automation(twin.id)


def test_bad_compound_file_is_one_line(server_client: HttpClient, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ntrigger:\n  type: compound\n  require: 5\n  triggers: [{expect: [a]}]\n"
    )
    result = CliRunner().invoke(app, ["automation", "create", "-f", str(path)])
    assert result.exit_code != 0
    assert "require must be 'any', 'all' or a number from 1 to 1" in result.output
    assert "Traceback" not in result.output


def test_suspend_flow_run_inferred_from_the_event(server_client: HttpClient) -> None:
    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    run = server_client.create_flow_run_from_deployment(
        made.id, DeploymentFlowRunCreate(scheduled_time=time.time() + 3600)
    )
    automation = _armed(
        Automation(
            name=f"suspend-{tag}",
            trigger=EventTrigger(expect={f"{tag}.hold"}),
            actions=[SuspendFlowRun(timeout_seconds=600)],
        )
    )
    _emit(server_client, f"{tag}.hold", f"headwater.flow-run.{run.id}")
    state = _until(
        lambda: (s := server_client.read_flow_run(run.id).state).name == "Suspended" and s
    )
    assert state and state.type.value == "PAUSED"
    resumed = server_client.resume_flow_run(run.id)
    assert resumed.state.name == "Scheduled"  # a worker may claim it again
    automation.delete()


def test_suspend_flow_run_refuses_a_run_being_cancelled(server_client: HttpClient) -> None:
    """A run being cancelled is not suspended: the action fails at once, not retried."""
    from headwater.states import Cancelling

    tag = uuid.uuid4().hex[:8]
    made = server_client.apply_deployment(deployment())
    run = server_client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
    # a heartbeating process owns it: the cancellations service leaves it Cancelling
    server_client.heartbeat_flow_run(run.id, pid="1")
    server_client.set_flow_run_state(run.id, Cancelling(), force=True)
    automation = _armed(
        Automation(
            name=f"suspend-cancelling-{tag}",
            trigger=EventTrigger(expect={f"{tag}.hold"}),
            actions=[SuspendFlowRun()],
        )
    )
    _emit(server_client, f"{tag}.hold", f"headwater.flow-run.{run.id}")
    # refused, not retried with backoff for minutes: failed at the first attempt
    flt = EventFilter(
        event=EventNameFilter(name=["headwater.automation.action.failed"]),
        resource=EventResourceFilter(id=[f"headwater.automation.{automation.id}"]),
    )
    found = _until(lambda: server_client.read_events(flt).events, timeout=30)
    state = server_client.read_flow_run(run.id).state
    assert found, f"no action.failed event; the run is {state!r}"
    assert "is being cancelled" in found[0]["payload"]["error"]
    assert server_client.read_flow_run(run.id).state.name == "Cancelling"
    automation.delete()


def test_suspend_flow_run_refuses_a_run_without_a_deployment(server_client: HttpClient) -> None:
    from tests.client.conformance.records import new_run

    tag = uuid.uuid4().hex[:8]
    run = new_run(server_client, Running(), tags=[tag])
    automation = _armed(
        Automation(
            name=f"suspend-plain-{tag}",
            trigger=EventTrigger(expect={f"{tag}.hold"}),
            actions=[SuspendFlowRun()],
        )
    )
    _emit(server_client, f"{tag}.hold", f"headwater.flow-run.{run['id']}")
    flt = EventFilter(
        event=EventNameFilter(name=["headwater.automation.action.failed"]),
        resource=EventResourceFilter(id=[f"headwater.automation.{automation.id}"]),
    )
    [failed] = _until(lambda: server_client.read_events(flt).events)
    assert "has no deployment" in failed["payload"]["error"]
    assert server_client.read_flow_run(run["id"]).state.name == "Running"
    automation.delete()
