"""Real server, real worker processes, a local bare git repository: runs, crashes,
cancellation, zombies, and workers racing."""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from headwater.client import get_client
from headwater.schemas.deployments import DeploymentCreate
from headwater.schemas.filters import FlowRunFilter, LogFilter, TaskRunFilter
from headwater.schemas.work_pools import WorkPoolCreate
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, make_git_repo, worker


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The session's SQLite server with short service timings."""
    return shared_servers.get("sqlite", FAST_ENV)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_git_repo(tmp_path_factory.mktemp("repo"))


@pytest.fixture
def pool(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh pool; this test process talks to the server."""
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    name = f"pool-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=name))
    return name


def _deploy(repo: Path, pool: str, entry: str, name: str | None = None, **options) -> str:
    from headwater import flow

    deployed = flow.from_source(source=str(repo), entrypoint=f"flows.py:{entry}")
    deployment_name = name or f"d-{uuid.uuid4().hex[:6]}"
    deployed.deploy(deployment_name, work_pool_name=pool, **options)
    return f"{deployed.name}/{deployment_name}"


def _wait(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _history(run_id) -> list[str]:
    with get_client() as client:
        return [s.name for s in client.read_flow_run_states(run_id)]


def _logs(run_id) -> str:
    with get_client() as client:
        return "\n".join(
            log.message for log in client.read_logs(log_filter=LogFilter(flow_run_id=run_id))
        )


def test_worker_pulls_from_git_and_runs_with_parameters(
    pool: str, repo: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    name = _deploy(repo, pool, "quick", job_variables={"env": {"HW_TEST_ENV": "set"}})
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment(name, parameters={"x": 21}, timeout=30)
    assert run.state.name == "Completed", _logs(run.id)
    assert "Pull step git_clone" in _logs(run.id)
    assert "quick got 21 (env set)" in _logs(run.id)
    assert run.worker_name == "w"


def test_a_failing_git_pull_crashes_the_run_with_the_git_error(pool: str, tmp_path: Path) -> None:
    from headwater import run_deployment

    with get_client() as client:
        client.apply_deployment(
            DeploymentCreate(
                flow_name="quick",
                name="broken-repo",
                entrypoint="flows.py:quick",
                work_pool_name=pool,
                pull_steps=[{"git_clone": {"repository": str(tmp_path / "missing.git")}}],
            )
        )
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment("quick/broken-repo", timeout=30)
    assert run.state.name == "Crashed"
    assert "git_clone: git clone of" in run.state.message
    assert "missing.git" in run.state.message
    assert "git_clone: git clone of" in _logs(run.id)


def test_a_process_that_exits_without_a_final_state_is_crashed(
    pool: str, repo: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    name = _deploy(repo, pool, "dies")
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment(name, timeout=30)
    assert run.state.name == "Crashed"
    assert "exited with code 3" in run.state.message


def test_a_killed_flow_run_process_is_crashed_then_retried(
    pool: str, repo: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    marker = tmp_path / "pid"
    name = _deploy(repo, pool, "killable")
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment(name, parameters={"marker": str(marker)}, timeout=0)
        pid = int(_wait(lambda: marker.exists() and marker.read_text(), what="the flow to start"))
        os.kill(pid, signal.SIGKILL)
        from headwater.deployments.run import wait_for_run

        with get_client() as client:
            done = wait_for_run(client, run.id, timeout=30)
    assert done.state.name == "Completed"
    history = _history(run.id)
    assert "Crashed" in history and "AwaitingRetry" in history
    assert history[-1] == "Completed" and done.run_count == 2


def test_cancelling_a_running_run_stops_its_process(pool: str, repo: Path, tmp_path: Path) -> None:
    from headwater import run_deployment

    marker = tmp_path / "pid"
    name = _deploy(repo, pool, "sleepy_in_task")
    stopper = worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool)
    # Time to end on its own after SIGTERM, however busy the machine (not SIGKILL
    # after the 2 s of FAST_ENV, which would lose its last log line).
    stopper.env["HEADWATER_CANCEL_GRACE_SECONDS"] = "25"
    with stopper:
        run = run_deployment(name, parameters={"marker": str(marker)}, timeout=0)
        pid = int(_wait(lambda: marker.exists() and marker.read_text(), what="the flow to start"))
        with get_client() as client:
            assert client.cancel_flow_run(run.id).name == "Cancelling"

            def cancelled():
                return client.read_flow_run(run.id).state.name == "Cancelled"

            # The flow sleeps 60 s: Cancelled well before that means its process was
            # stopped (typically in 1-3 s; no tighter bound, it flakes on a busy machine).
            _wait(cancelled, timeout=30, what="Cancelled")

            # Its logs say it was cancelled, at INFO: no ERROR "Crashed (signal 15)"
            # next to the Cancelled badge.
            def final_line():
                logs = client.read_logs(log_filter=LogFilter(flow_run_id=run.id))
                done = [log for log in logs if "Finished in state" in log.message]
                return (logs, done[0]) if done else None

            found = None
            deadline = time.monotonic() + 30
            while found is None and time.monotonic() < deadline:
                found = final_line()
                time.sleep(0.2)
            assert found, (client.read_flow_run(run.id).state, _logs(run.id), stopper.log())
            logs, line = found
            assert line.level == logging.INFO and "Cancelled" in line.message, line
            errors = [log.message for log in logs if log.level >= logging.WARNING]
            assert errors == [], errors
            assert "signal" not in client.read_flow_run(run.id).state.message.lower()
            (nap,) = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run.id]))
            assert nap.state.type.value == "CANCELLED", nap.state
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_run_whose_worker_and_process_died_is_crashed_by_the_server(
    pool: str, repo: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    marker = tmp_path / "pid"
    name = _deploy(repo, pool, "sleepy")
    process = worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool).start()
    try:
        run = run_deployment(name, parameters={"marker": str(marker)}, timeout=0)
        pid = int(_wait(lambda: marker.exists() and marker.read_text(), what="the flow to start"))
        process.stop(signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        with get_client() as client:
            crashed = _wait(
                lambda: (r := client.read_flow_run(run.id)).state.name == "Crashed" and r,
                timeout=25,
                what="Crashed",
            )
        # zombie threshold 8 s + a loop of 0.2 s + the last heartbeat (0.3 s) + slack
        assert time.monotonic() - killed < 11
        assert "stopped sending heartbeats" in crashed.state.message
    finally:
        process.stop()


def test_two_workers_run_each_run_exactly_once(pool: str, repo: Path, tmp_path: Path) -> None:
    from headwater import run_deployment

    name = _deploy(repo, pool, "quick")
    ids = [run_deployment(name, parameters={"x": i}, timeout=0).id for i in range(12)]
    api = os.environ["HEADWATER_API_URL"]
    with (
        worker(tmp_path / "a", api, pool, name="a"),
        worker(tmp_path / "b", api, pool, name="b"),
        get_client() as client,
    ):

        def all_done():
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(ids=ids), limit=100)
            return all(r.state.is_final() for r in runs) and runs

        runs = _wait(all_done, timeout=60, what="all runs")
    assert {r.state.name for r in runs} == {"Completed"}
    assert all(r.run_count == 1 for r in runs)
    assert {r.worker_name for r in runs} <= {"a", "b"}


def test_run_once_and_limit(pool: str, repo: Path, tmp_path: Path) -> None:
    from headwater import run_deployment

    name = _deploy(repo, pool, "quick")
    ids = [run_deployment(name, timeout=0).id for _ in range(3)]
    process = worker(
        tmp_path / "w", os.environ["HEADWATER_API_URL"], pool, "--run-once", "--limit", "2"
    )
    process.start()
    assert process.process is not None
    assert process.process.wait(30) == 0, process.log()
    with get_client() as client:
        states = [client.read_flow_run(i).state.name for i in ids]
    assert sorted(states) == ["Completed", "Completed", "Scheduled"], process.log()
    assert "after starting 2 run(s)" in process.log()


def test_worker_start_with_a_missing_pool_fails_in_one_line(
    server: ServerProcess, tmp_path: Path
) -> None:
    process = worker(tmp_path / "w", server.api_url, "no-such-pool")
    process.start()
    assert process.process is not None
    assert process.process.wait(20) == 1
    assert "work pool 'no-such-pool' not found" in process.log()
    assert "Traceback" not in process.log()


def test_worker_against_a_server_on_postgresql(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_servers: SharedServers
) -> None:
    from headwater import run_deployment
    from headwater.deployments.run import wait_for_run

    pg_server = shared_servers.get("postgresql", FAST_ENV)
    monkeypatch.setenv("HEADWATER_API_URL", pg_server.api_url)
    pool = f"pg-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=pool))
    name = _deploy(repo, pool, "quick")
    with worker(tmp_path / "w", pg_server.api_url, pool):
        runs = [run_deployment(name, parameters={"x": i}, timeout=0) for i in range(3)]
        with get_client() as client:
            done = [wait_for_run(client, r.id, timeout=30) for r in runs]
    assert [r.state.name for r in done] == ["Completed"] * 3


def test_the_pools_base_job_template_sets_the_runs_environment(
    server: ServerProcess, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater import run_deployment
    from headwater.workers.process import ProcessWorker

    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    template = ProcessWorker.default_base_job_template()
    template["variables"]["properties"]["env"]["default"] = {"HW_TEST_ENV": "from-template"}
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=pool, base_job_template=template))
    run = run_deployment(_deploy(repo, pool, "quick"), timeout=0)
    process = worker(tmp_path / "w", server.api_url, pool, "--run-once", "--type", "process")
    # Deadlines for a loaded 2-core machine (a worker and a run each start a Python
    # process and pull the repository); an idle machine takes seconds.
    with process:
        assert process.process is not None
        assert process.process.wait(180) == 0, process.log()
    with get_client() as client:
        assert client.read_flow_run(run.id).state.name == "Completed", process.log()
    assert "(env from-template)" in _logs(run.id)
    wrong = worker(tmp_path / "w2", server.api_url, pool, "--run-once", "--type", "nope")
    with wrong:
        assert wrong.process is not None and wrong.process.wait(120) == 1, wrong.log()
    assert "unknown worker type 'nope' (known: process" in wrong.log()
