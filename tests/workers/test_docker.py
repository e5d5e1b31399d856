"""The docker worker against a real Docker daemon and a real server on loopback: runs
in containers (host networking), a crash with the container's output, cancellation
that kills the container, and a worker killed with SIGKILL whose successor
re-attaches to the running container."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.client import get_client
from headwater.schemas.filters import LogFilter
from headwater.schemas.work_pools import WorkPoolCreate
from headwater.states import Cancelling
from headwater.workers.docker import DockerWorker
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, FLOWS, deploy_from, worker
from tests.workers._docker import docker_daemon, headwater_image

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: The flow-run containers heartbeat fast; the server waits long for a slow start.
SERVER_ENV = {**FAST_ENV, "HEADWATER_ZOMBIE_AFTER_SECONDS": "60"}


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    with docker_daemon() as host:
        yield host


@pytest.fixture(scope="module")
def image(docker_host: str) -> str:
    return headwater_image(docker_host)


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("sqlite", SERVER_ENV)


@pytest.fixture(scope="module")
def flows_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docker-flows")
    (root / "flows.py").write_text(textwrap.dedent(FLOWS))
    root.chmod(0o755)
    return root


@pytest.fixture
def pool(
    server: ServerProcess, image: str, flows_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A docker pool whose containers run ``image`` with the flows mounted."""
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    template = DockerWorker.default_base_job_template()
    defaults = template["variables"]["properties"]
    defaults["image"]["default"] = image
    defaults["volumes"]["default"] = [f"{flows_dir}:{flows_dir}", "/tmp:/tmp"]
    defaults["env"]["default"] = {"HEADWATER_HEARTBEAT_SECONDS": "0.5"}
    name = f"docker-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(
            WorkPoolCreate(name=name, type="docker", base_job_template=template)
        )
    return name


def _docker(host: str, *args: str) -> str:
    done = subprocess.run(
        ["docker", *args],
        env={**os.environ, "DOCKER_HOST": host},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


def _wait(predicate: Any, timeout: float, what: str, log: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}\n{log() if log else ''}")


def _state(run_id: Any) -> str:
    with get_client() as client:
        return client.read_flow_run(run_id).state.name


def _logs(run_id: Any) -> str:
    with get_client() as client:
        found = client.read_logs(log_filter=LogFilter(flow_run_id=run_id))
    return "\n".join(log.message for log in found)


def _start_worker(tmp_path: Path, server: ServerProcess, pool: str, host: str, name: str) -> Any:
    process = worker(tmp_path / name, server.api_url, pool, "--type", "docker", name=name)
    process.env["DOCKER_HOST"] = host
    return process.start()


def test_runs_complete_and_crash_in_containers(
    docker_host: str, server: ServerProcess, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    quick = run_deployment(
        deploy_from(flows_dir, pool, "quick", job_variables={"env": {"HW_TEST_ENV": "in-docker"}}),
        parameters={"x": 21},
        timeout=0,
    )
    dies = run_deployment(deploy_from(flows_dir, pool, "dies"), timeout=0)
    process = _start_worker(tmp_path, server, pool, docker_host, "w1")
    try:
        finals = ("Completed", "Crashed", "Failed")
        _wait(lambda: _state(quick.id) in finals, 300, "the quick run", process.log)
        _wait(lambda: _state(dies.id) in finals, 120, "the dying run", process.log)
    finally:
        process.stop()
    assert _state(quick.id) == "Completed", process.log()
    assert "quick got 21 (env in-docker)" in _logs(quick.id)
    with get_client() as client:
        crashed = client.read_flow_run(dies.id).state
    assert crashed.name == "Crashed"
    assert "container exited with code 3" in (crashed.message or "")
    labelled = _docker(
        docker_host, "ps", "-a", "--filter", f"label=headwater.flow-run-id={quick.id}", "-q"
    )
    assert labelled, "the run's container carries its run id as a label"


def test_cancel_kills_the_container_after_a_worker_restart(
    docker_host: str, server: ServerProcess, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    marker = tmp_path / "marker"
    tmp_path.chmod(0o777)
    run = run_deployment(
        deploy_from(flows_dir, pool, "sleepy", job_variables={"auto_remove": True}),
        parameters={"marker": str(marker), "seconds": 300},
        timeout=0,
    )
    first = _start_worker(tmp_path, server, pool, docker_host, "w1")
    try:
        _wait(marker.exists, 300, "the run to start in its container", first.log)
        running = _docker(
            docker_host, "ps", "-q", "--filter", f"label=headwater.flow-run-id={run.id}"
        )
        assert running
    finally:
        first.stop(signal.SIGKILL)
    second = _start_worker(tmp_path, server, pool, docker_host, "w2")
    try:
        _wait(lambda: "re-attached to flow run" in second.log(), 60, "re-attach", second.log)
        with get_client() as client:
            client.set_flow_run_state(run.id, Cancelling(), force=True)
        _wait(lambda: _state(run.id) == "Cancelled", 120, "Cancelled", second.log)

        def gone():
            return not _docker(
                docker_host, "ps", "-aq", "--filter", f"label=headwater.flow-run-id={run.id}"
            )

        _wait(gone, 60, "the container to be removed (auto_remove)", second.log)
    finally:
        second.stop()
    assert f"re-attached to flow run {run.id}" in second.log()
