"""`headwater v1 register`: a Prefect 1 flow file becomes a deployment that a real
worker subprocess runs against a real server (Local and GitHub storage)."""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import pytest

from headwater.client import get_client
from headwater.schemas.filters import LogFilter, TaskRunFilter
from headwater.schemas.work_pools import WorkPoolCreate
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, make_git_repo, worker
from tests.cli._run import run_cli

FLOW_FILE = """
import os

from headwater.v1 import Flow, Parameter, task
from headwater.v1 import context
from headwater.v1.run_configs import LocalRun
from headwater.v1.schedules import CronSchedule
from headwater.v1.storage import {storage_import}

@task
def rows(n):
    context.get("logger").info("v1 env is %s", os.environ.get("V1_ENV"))
    return list(range(n))

@task
def double(x):
    return 2 * x

@task
def total(xs):
    context.get("logger").info("v1 total is %d", sum(xs))
    return sum(xs)

with Flow(
    "{flow_name}",
    run_config=LocalRun(env={{"V1_ENV": "from-run-config"}}, labels=["{label}"]),
    schedule=CronSchedule("0 0 29 2 *"),
    storage={storage},
) as flow:
    n = Parameter("n", default=2)
    total(double.map(rows(n)))
"""


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("sqlite", FAST_ENV)


@pytest.fixture
def pool(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    name = f"v1-pool-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=name))
    return name


def _logs(run_id) -> str:
    with get_client() as client:
        return "\n".join(
            log.message for log in client.read_logs(log_filter=LogFilter(flow_run_id=run_id))
        )


def _register_and_run(capsys, pool: str, path: Path, flow_name: str, label: str, tmp_path: Path):
    from headwater import run_deployment

    code, out, err = run_cli(
        capsys, "v1", "register", "--project", "analytics", "--path", str(path), "--pool", pool
    )
    assert code == 0, err
    assert f"{flow_name}/analytics" in out
    with get_client() as client:
        deployment = client.read_deployment_by_name(f"{flow_name}/analytics")
    assert deployment.tags == ["analytics", label]
    assert deployment.work_queue_name == label
    assert deployment.job_variables == {"env": {"V1_ENV": "from-run-config"}}
    assert [s.schedule["cron"] for s in deployment.schedules] == ["0 0 29 2 *"]
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool, "--work-queue", label):
        run = run_deployment(f"{flow_name}/analytics", parameters={"n": 4}, timeout=60)
    logs = _logs(run.id)
    assert run.state.name == "Completed", logs
    assert "v1 env is from-run-config" in logs
    assert "v1 total is 12" in logs
    with get_client() as client:
        task_runs = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run.id]))
    assert len(task_runs) == 1 + 4 + 1
    return deployment


def test_register_local_storage_runs_on_a_worker(pool: str, tmp_path: Path, capsys) -> None:
    flow_name = f"v1-local-{uuid.uuid4().hex[:6]}"
    label = f"lab{uuid.uuid4().hex[:4]}"
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    path = code_dir / "etl.py"
    path.write_text(
        textwrap.dedent(FLOW_FILE).format(
            flow_name=flow_name, label=label, storage="Local()", storage_import="Local"
        )
    )
    deployment = _register_and_run(capsys, pool, path, flow_name, label, tmp_path)
    assert deployment.pull_steps == [
        {"set_working_directory": {"directory": str(code_dir.resolve())}}
    ]
    assert deployment.entrypoint == f"{path.resolve()}:flow"


def test_register_github_storage_clones_a_repository(pool: str, tmp_path: Path, capsys) -> None:
    flow_name = f"v1-git-{uuid.uuid4().hex[:6]}"
    label = f"lab{uuid.uuid4().hex[:4]}"

    def render(storage: str) -> str:
        return textwrap.dedent(FLOW_FILE).format(
            flow_name=flow_name, label=label, storage=storage, storage_import="GitHub"
        )

    # the repository's copy and the registering copy are the same file
    repo_root = tmp_path / "repo"
    bare = repo_root / "flows.git"
    storage = f'GitHub(repo="{bare}", path="etl.py", ref="main")'
    make_git_repo(repo_root, {"etl.py": render(storage)})
    local = tmp_path / "checkout" / "etl.py"
    local.parent.mkdir()
    local.write_text(render(storage))
    deployment = _register_and_run(capsys, pool, local, flow_name, label, tmp_path)
    assert deployment.pull_steps == [{"git_clone": {"repository": str(bare), "branch": "main"}}]
    assert deployment.entrypoint == "etl.py:flow"


def test_register_errors_are_one_line(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(
        capsys,
        "v1",
        "register",
        "--project",
        "p",
        "--path",
        str(tmp_path / "missing.py"),
        "--pool",
        "x",
    )
    assert code == 1 and "is not a file" in err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    code, _, err = run_cli(capsys, "v1", "register", "--project", "p", "--path", str(empty))
    assert code == 1 and "--pool is required" in err
    code, _, err = run_cli(
        capsys, "v1", "register", "--project", "p", "--path", str(empty), "--pool", "x"
    )
    assert code == 1 and "no Prefect 1 flows found" in err
    assert "Traceback" not in err
