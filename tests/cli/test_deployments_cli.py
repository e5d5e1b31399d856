"""``headwater deploy``, ``deployment …``, ``work-pool …``, ``work-queue …`` and
``flow-run cancel`` on the embedded store."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from headwater.client import get_client
from headwater.schemas.filters import FlowRunFilter
from headwater.states import Failed
from tests._workers import Process, client_env
from tests.cli._run import run_cli

FLOWS = """
from headwater import flow


@flow
def etl(n: int, name: str = "x") -> str:
    return f"{name}{n}"


def plain():
    pass
"""

PROJECT = """
deployments:
  - name: hourly
    entrypoint: flows.py:etl
    parameters: {n: 1}
    schedules:
      - cron: "0 * * * *"
        timezone: Europe/Paris
    tags: [etl]
  - name: manual
    entrypoint: flows.py:etl
    parameters: {n: 2}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "flows.py").write_text(FLOWS)
    (root / "headwater.yaml").write_text(textwrap.dedent(PROJECT))
    monkeypatch.chdir(root)
    return root


def test_deploy_from_headwater_yaml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "deploy")
    assert code == 1 and "has 2 deployments (hourly, manual); name one or use --all" in err
    code, out, _ = run_cli(capsys, "deploy", "--all")
    assert code == 0, out
    assert "Applied deployment etl/hourly" in out and "Applied deployment etl/manual" in out
    code, out, _ = run_cli(capsys, "deploy", "manual")  # again: idempotent
    assert code == 0
    with get_client() as client:
        d = client.read_deployment_by_name("etl/hourly")
    assert d.tags == ["etl"] and d.schedules[0].schedule["timezone"] == "Europe/Paris"
    assert d.pull_steps == [{"set_working_directory": {"directory": str(project)}}]
    code, _, err = run_cli(capsys, "deploy", "nope")
    assert code == 1 and "no deployment 'nope'" in err


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("deployments:\n  - name: a\n    entrypoint: flows.py:plain\n", "is not a @flow"),
        ("deployments:\n  - name: a\n    entrypoint: gone.py:etl\n", "does not exist"),
        (
            "deployments:\n  - name: a\n    entrypoint: flows.py:etl\n    crom: x\n",
            "did you mean 'cron'",
        ),
        (
            "deployments:\n  - name: a\n    entrypoint: flows.py:etl\n    cron: '0 0 32 * *'\n",
            "cron '0 0 32 * *' is not a valid",
        ),
        ("deployments: [\n", "cannot read"),
    ],
)
def test_deploy_errors_are_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, message: str
) -> None:
    (project / "headwater.yaml").write_text(yaml_text)
    code, _, err = run_cli(capsys, "deploy", "--all")
    assert code == 1
    assert message in err and "Traceback" not in err


def test_deployment_commands(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "deploy", "--all")
    code, out, _ = run_cli(capsys, "deployment", "ls")
    assert code == 0 and "etl/hourly" in out and "cron 0 * * * *" in out
    code, out, _ = run_cli(capsys, "deployment", "inspect", "etl/hourly")
    assert code == 0 and "flows.py:etl" in out and "Europe/Paris" in out
    code, out, _ = run_cli(
        capsys, "deployment", "run", "etl/manual", "-p", "n=5", "--params", '{"name": "z"}'
    )
    assert code == 0 and "Created flow run" in out
    code, _, err = run_cli(capsys, "deployment", "run", "etl/manual", "-p", "n=five")
    assert code == 1 and "parameter 'n': 'five' is not an integer" in err
    code, _, err = run_cli(capsys, "deployment", "run", "etl/manual", "-p", "oops")
    assert code == 1 and "is not key=value" in err
    code, _, err = run_cli(capsys, "deployment", "run", "etl/none")
    assert code == 1 and "deployment 'etl/none' not found" in err
    code, out, _ = run_cli(capsys, "flow-run", "ls", "--deployment", "etl/manual")
    assert code == 0 and "Flow runs (1)" in out
    assert run_cli(capsys, "deployment", "pause", "etl/hourly")[0] == 0
    code, out, _ = run_cli(capsys, "deployment", "ls")
    assert "paused" in out
    assert run_cli(capsys, "deployment", "resume", "etl/hourly")[0] == 0
    assert run_cli(capsys, "deployment", "delete", "etl/hourly")[0] == 0
    code, _, err = run_cli(capsys, "deployment", "inspect", "etl/hourly")
    assert code == 1 and "not found" in err


def test_run_watch_exits_0_only_when_the_run_completes(
    project: Path, capsys: pytest.CaptureFixture[str], headwater_home: Path
) -> None:
    from headwater.schemas.work_pools import WorkPoolCreate

    (project / "headwater.yaml").write_text(
        "deployments:\n  - name: pooled\n    entrypoint: flows.py:etl\n"
        "    parameters: {n: 1}\n    work_pool: {name: local}\n"
    )
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name="local"))
    assert run_cli(capsys, "deploy")[0] == 0
    env = client_env(headwater_home, None)
    args = ["-m", "headwater", "worker", "start", "--pool", "local"]
    with Process(args, env, project / "worker.log"):
        code, out, _ = run_cli(capsys, "deployment", "run", "etl/pooled", "--watch")
        assert code == 0, out
        assert "Completed" in out
        code, out, _ = run_cli(capsys, "deployment", "run", "etl/pooled", "-p", "n=null", "--watch")
    assert code == 1


def test_backfill_is_idempotent(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "deploy", "hourly")
    window = ("--start", "2024-01-01T00:00", "--end", "2024-01-01T05:00")
    code, out, _ = run_cli(capsys, "deployment", "backfill", "etl/hourly", *window, "--dry-run")
    assert code == 0 and "Dry run: 6 to create" in out
    code, out, _ = run_cli(capsys, "deployment", "backfill", "etl/hourly", *window)
    assert code == 0 and "6 run(s) created" in out
    code, out, _ = run_cli(capsys, "deployment", "backfill", "etl/hourly", *window)
    assert code == 0 and "0 run(s) created" in out and "6 already there" in out
    with get_client() as client:
        d = client.read_deployment_by_name("etl/hourly")
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_ids=[d.id], tags_all=["backfill"]), limit=100
        )
        assert len(runs) == 6 and all(r.parameters == {"n": 1} for r in runs)
        client.set_flow_run_state(runs[0].id, Failed(message="x"), force=True)
    code, out, _ = run_cli(
        capsys, "deployment", "backfill", "etl/hourly", *window, "--reprocess", "failed"
    )
    assert code == 0 and "1 run again" in out
    code, _, err = run_cli(
        capsys,
        "deployment",
        "backfill",
        "etl/hourly",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-01",
    )
    assert code == 1 and "--end is before --start" in err
    code, _, err = run_cli(
        capsys, "deployment", "backfill", "etl/hourly", *window, "--reprocess", "some"
    )
    assert code == 1 and "--reprocess 'some'" in err


def test_work_pool_and_queue_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "work-pool", "create", "main", "--type", "process")
    assert code == 0 and "Created work pool 'main'" in out
    code, _, err = run_cli(capsys, "work-pool", "create", "main")
    assert code == 1 and "already exists" in err
    code, _, err = run_cli(capsys, "work-pool", "create", "k", "--type", "nomad")
    assert code == 1 and "unknown worker type 'nomad'" in err
    assert (
        run_cli(capsys, "work-queue", "create", "fast", "--pool", "main", "--priority", "2")[0] == 0
    )
    code, out, _ = run_cli(capsys, "work-queue", "ls", "--pool", "main")
    assert "default" in out and "fast" in out
    assert run_cli(capsys, "work-queue", "pause", "fast", "--pool", "main")[0] == 0
    assert (
        run_cli(capsys, "work-queue", "set-concurrency-limit", "fast", "3", "--pool", "main")[0]
        == 0
    )
    code, out, _ = run_cli(capsys, "work-pool", "inspect", "main")
    assert code == 0 and "paused" in out and "NOT_READY" in out
    assert run_cli(capsys, "work-pool", "pause", "main")[0] == 0
    code, out, _ = run_cli(capsys, "work-pool", "ls")
    assert "PAUSED" in out
    assert run_cli(capsys, "work-pool", "resume", "main")[0] == 0
    assert run_cli(capsys, "work-pool", "set-concurrency-limit", "main", "4")[0] == 0
    code, _, err = run_cli(capsys, "work-queue", "delete", "default", "--pool", "main")
    assert code == 1 and "cannot be deleted" in err
    assert run_cli(capsys, "work-queue", "delete", "fast", "--pool", "main")[0] == 0
    assert run_cli(capsys, "work-pool", "delete", "main")[0] == 0
    code, _, err = run_cli(capsys, "work-pool", "inspect", "main")
    assert code == 1 and "work pool 'main' not found" in err
    code, _, err = run_cli(capsys, "worker", "start", "--pool", "main", "--run-once")
    assert code == 1 and "work pool 'main' not found" in err


def test_flow_run_cancel(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    from headwater.server.db.database import get_database
    from headwater.server.services import late_runs

    monkeypatch.setenv("HEADWATER_LATE_AFTER_SECONDS", "1")
    run_cli(capsys, "deploy", "--all")
    import datetime as dt

    from headwater.schemas.deployments import DeploymentFlowRunCreate

    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    with get_client() as client:
        manual = client.read_deployment_by_name("etl/manual")
        hourly = client.read_deployment_by_name("etl/hourly")
        late_manual = client.create_flow_run_from_deployment(
            manual.id, DeploymentFlowRunCreate(scheduled_time=past)
        )
        late_hourly = client.create_flow_run_from_deployment(
            hourly.id, DeploymentFlowRunCreate(scheduled_time=past)
        )
        future = client.create_flow_run_from_deployment(
            manual.id,
            DeploymentFlowRunCreate(scheduled_time=past + dt.timedelta(hours=2)),
        )
    late_runs.run_once(get_database(), time.time())
    code, out, _ = run_cli(capsys, "flow-run", "cancel", "--late", "--deployment", "etl/manual")
    assert code == 0 and "Cancelled 1 flow run(s)" in out
    code, out, _ = run_cli(capsys, "flow-run", "cancel", str(future.id))
    assert code == 0 and "Cancelled" in out
    code, _, err = run_cli(capsys, "flow-run", "cancel", str(future.id))
    assert code == 1 and "already finished Cancelled" in err
    code, _, err = run_cli(capsys, "flow-run", "cancel")
    assert code == 1 and "nothing to cancel" in err
    with get_client() as client:
        assert client.read_flow_run(late_manual.id).state.name == "Cancelled"
        assert client.read_flow_run(late_hourly.id).state.name == "Late"
