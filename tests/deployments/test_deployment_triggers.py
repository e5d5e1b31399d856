"""Deployment triggers end to end: ``flow.serve(triggers=[DeploymentEventTrigger(...)])``
against a real server (SQLite and PostgreSQL); an event emitted by user code in
another process runs the deployment with parameters templated from the event.  And
``triggers:`` in headwater.yaml, applied, updated and removed by ``headwater deploy``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from headwater.cli.app import app
from headwater.client.http import HttpClient
from headwater.exceptions import DeploymentNotFound
from headwater.schemas.deployment_triggers import OWNER_TAG_PREFIX
from headwater.schemas.filters import FlowRunFilter
from tests._servers import ServerProcess, SharedServers, pid_alive
from tests._workers import FAST_ENV, Process, client_env

SERVED = """
import sys

from headwater import flow
from headwater.events import DeploymentEventTrigger


@flow
def ingest(file: str, rows: int = 0) -> str:
    return f"{file}:{rows}"


if __name__ == "__main__":
    tag = sys.argv[1]
    ingest.serve(
        f"on-upload-{tag}",
        triggers=[
            DeploymentEventTrigger(
                expect={f"upload.{tag}.done"},
                match={"prefect.resource.id": "bucket.*"},
                parameters={"file": "{{ event.payload.file }}", "rows": "{{ event.payload.rows }}"},
            )
        ],
    )
"""

EMIT = """
import sys

from headwater.client.writer import flush_all
from headwater.events import emit_event

emit_event(
    f"upload.{sys.argv[1]}.done",
    resource={"prefect.resource.id": "bucket.landing"},
    payload={"file": "orders.csv", "rows": 42},
)
assert flush_all()
"""


def _until(check: Any, timeout: float, what: str, log: Process | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{log.log()}" if log else ""))


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get(request.param, FAST_ENV)


def test_an_event_from_user_code_runs_the_served_deployment_with_templated_parameters(
    server: ServerProcess, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    (tmp_path / "served.py").write_text(SERVED)
    (tmp_path / "emit.py").write_text(EMIT)
    env = client_env(tmp_path / "home", server.api_url)
    name = f"ingest/on-upload-{tag}"
    with (
        HttpClient(server.api_url, retry_seconds=10) as client,
        Process(["served.py", tag], env, tmp_path / "serve.log", cwd=tmp_path) as served,
    ):

        def registered() -> Any:
            try:
                found = client.read_deployment_by_name(name)
            except DeploymentNotFound:
                return None
            return client.read_automations_by_name(f"{name}__automation_1") and found

        made = _until(registered, 60, "the deployment and its trigger:\n" + served.log())
        [automation] = client.read_automations_by_name(f"{name}__automation_1")
        assert automation.tags == [f"{OWNER_TAG_PREFIX}{made.id}"]
        time.sleep(1.2)  # the automation service's reload pass
        subprocess.run([sys.executable, "emit.py", tag], env=env, cwd=tmp_path, check=True)
        flt = FlowRunFilter(deployment_ids=[made.id], state_types=["COMPLETED"])
        [run] = _until(
            lambda: client.read_flow_runs(flow_run_filter=flt),
            60,
            "the triggered run to complete:\n" + served.log(),
        )
        assert run.parameters == {"file": "orders.csv", "rows": 42}
        assert "automation" in run.tags
        assert served.stop(signal.SIGTERM) == 0, served.log()
        client.delete_automation(automation.id)


FLOWS = """
from headwater import flow


@flow
def report(day: str = "today") -> str:
    return day
"""


def _project(path: Path, name: str, triggers: str) -> None:
    path.write_text(f"deployments:\n  - name: {name}\n    entrypoint: flows.py:report\n{triggers}")


def test_headwater_yaml_triggers_are_applied_updated_and_removed(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    monkeypatch.chdir(tmp_path)
    name = f"daily-{uuid.uuid4().hex[:8]}"
    (tmp_path / "flows.py").write_text(FLOWS)
    project = tmp_path / "headwater.yaml"
    _project(
        project,
        name,
        "    triggers:\n"
        "      - expect: [prefect.flow-run.Completed]\n"
        "        match_related: {prefect.resource.id: prefect.tag.upstream}\n"
        '        parameters: {day: "{{ event.occurred }}"}\n'
        "      - name: " + name + "-both\n"
        "        type: compound\n"
        "        require: all\n"
        "        within: 600\n"
        "        triggers: [{expect: [a.done]}, {expect: [b.done]}]\n",
    )
    runner = CliRunner()
    applied = runner.invoke(app, ["deploy"])
    assert applied.exit_code == 0, applied.output
    assert "2 trigger(s)" in applied.output
    with HttpClient(server.api_url, retry_seconds=10) as client:
        deployment = client.read_deployment_by_name(f"report/{name}")
        tag = f"{OWNER_TAG_PREFIX}{deployment.id}"

        def owned() -> dict[str, Any]:
            return {a.name: a for a in client.read_automations(limit=10_000) if tag in a.tags}

        first = owned()
        assert set(first) == {f"report/{name}__automation_1", f"{name}-both"}
        event_one = first[f"report/{name}__automation_1"]
        assert event_one.trigger.expect == {"headwater.flow-run.Completed"}
        [action] = event_one.actions
        assert (action.type, action.deployment_id) == ("run-deployment", deployment.id)
        assert action.parameters == {"day": "{{ event.occurred }}"}
        assert first[f"{name}-both"].trigger.type == "compound"

        # applied again with one trigger changed and the other gone: updated in place
        _project(project, name, "    triggers:\n      - expect: [c.done]\n")
        assert runner.invoke(app, ["deploy"]).exit_code == 0
        second = owned()
        assert list(second) == [f"report/{name}__automation_1"]
        assert second[f"report/{name}__automation_1"].id == event_one.id
        assert second[f"report/{name}__automation_1"].trigger.expect == {"c.done"}

        # without triggers: key, they are left alone; an empty list removes them
        _project(project, name, "")
        assert runner.invoke(app, ["deploy"]).exit_code == 0
        assert list(owned()) == [f"report/{name}__automation_1"]
        _project(project, name, "    triggers: []\n")
        assert runner.invoke(app, ["deploy"]).exit_code == 0
        assert owned() == {}


def test_a_bad_trigger_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows.py").write_text(FLOWS)
    _project(
        tmp_path / "headwater.yaml",
        "bad",
        "    triggers:\n      - expect: [x]\n        posture: Proactive\n",
    )
    result = CliRunner().invoke(app, ["deploy"])
    assert result.exit_code != 0
    assert "triggers[0]: a Proactive trigger needs within=" in result.output
    assert "Traceback" not in result.output


def test_to_deployment_checks_triggers_when_made() -> None:
    from headwater import flow
    from headwater.automations import CompoundTrigger, EventTrigger
    from headwater.events import DeploymentSequenceTrigger
    from headwater.exceptions import InvalidOptionError

    @flow
    def report(day: str = "today") -> str:
        return day

    made = report.to_deployment(
        "ok",
        entrypoint="flows.py:report",
        triggers=[
            EventTrigger(expect={"a"}),  # a plain trigger becomes a deployment trigger
            CompoundTrigger(require="any", triggers=[EventTrigger(expect={"b"})]),
            DeploymentSequenceTrigger(triggers=[EventTrigger(expect={"c"})], parameters={"day": 1}),
        ],
    )
    assert [type(t).__name__ for t in made.triggers] == [
        "DeploymentEventTrigger",
        "DeploymentCompoundTrigger",
        "DeploymentSequenceTrigger",
    ]
    with pytest.raises(InvalidOptionError, match="triggers must be a list"):
        report.to_deployment("bad", entrypoint="flows.py:report", triggers="upload.done")
    with pytest.raises(InvalidOptionError, match=r"triggers\[0\]\.parameters"):
        report.to_deployment("bad", entrypoint="flows.py:report", triggers=[{"parameters": 3}])


SUSPENDABLE = """
import pathlib
import sys
import time

from headwater import flow, task
from headwater.events import emit_event
from headwater.runtime import flow_run


@task
def step(i: int) -> int:
    time.sleep(0.1)
    return i


@flow
def long_job(marker: str, tag: str) -> str:
    first = not pathlib.Path(marker).exists()
    pathlib.Path(marker).write_text("started")
    if first:
        run_id = f"headwater.flow-run.{flow_run.id}"
        emit_event(f"{tag}.halfway", resource={"headwater.resource.id": run_id})
        for i in range(900):  # ~90 s: the suspension stops it long before
            step(i)
        return "never suspended"
    return "resumed"


if __name__ == "__main__":
    long_job.serve(f"suspendable-{sys.argv[1]}")
"""


def test_a_running_served_run_is_suspended_by_an_automation_and_resumed(
    server: ServerProcess, tmp_path: Path
) -> None:
    from headwater.automations import Automation, EventTrigger, SuspendFlowRun
    from headwater.schemas.deployments import DeploymentFlowRunCreate
    from headwater.schemas.filters import LogFilter
    from headwater.states import StateType

    tag = uuid.uuid4().hex[:8]
    (tmp_path / "served.py").write_text(SUSPENDABLE)
    env = client_env(tmp_path / "home", server.api_url)
    marker = tmp_path / "marker"
    with (
        HttpClient(server.api_url, retry_seconds=10) as client,
        Process(["served.py", tag], env, tmp_path / "serve.log", cwd=tmp_path) as served,
    ):
        automation = client.create_automation(
            Automation(
                name=f"suspend-{tag}",
                trigger=EventTrigger(expect={f"{tag}.halfway"}),
                actions=[SuspendFlowRun()],
            )._core()
        )

        def registered() -> Any:
            try:
                return client.read_deployment_by_name(f"long-job/suspendable-{tag}")
            except DeploymentNotFound:
                return None

        made = _until(registered, 60, "the deployment:\n" + served.log())
        time.sleep(1.2)  # the automation service's reload pass
        run = client.create_flow_run_from_deployment(
            made.id, DeploymentFlowRunCreate(parameters={"marker": str(marker), "tag": tag})
        )

        def suspended_and_stopped() -> bool:
            state = client.read_flow_run(run.id).state
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=run.id))
            ended = any("Suspended: the process ends" in log.message for log in logs)
            return state.name == "Suspended" and ended

        try:
            _until(suspended_and_stopped, 60, "the run suspended, its process ended", served)
        except AssertionError as exc:
            state = client.read_flow_run(run.id).state
            raise AssertionError(f"{exc}\nstate: {state!r}; marker: {marker.exists()}") from None
        # its process exits, and the serve process sees it end Suspended (resuming
        # before that would race the serve process's look at the ended run)
        pid = int(client.read_flow_run(run.id).infrastructure_pid or 0)
        _until(lambda: not pid_alive(pid), 30, "the suspended run's process to exit", served)
        time.sleep(2.0)
        assert client.read_flow_run(run.id).state.name == "Suspended"
        client.resume_flow_run(run.id)
        done = _until(
            lambda: (s := client.read_flow_run(run.id).state).is_final() and s,
            60,
            "the resumed run to finish",
            served,
        )
        assert done.type is StateType.COMPLETED, served.log()
        assert served.stop(signal.SIGTERM) == 0, served.log()
        client.delete_automation(automation.id)
