"""``flow.serve`` / ``serve(*deployments)`` as real processes: on the embedded store
(no server: the serve process schedules itself) and against a real server."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from headwater.client import get_client
from headwater.exceptions import DeploymentNotFound
from headwater.schemas.filters import FlowRunFilter
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, Process, client_env

SCRIPT = """
import sys
import time

from headwater import flow, get_run_logger, serve


@flow
def tick(n: int = 0) -> int:
    get_run_logger().info("tick %d", n)
    return n


@flow
def nap(seconds: float = 60) -> None:
    time.sleep(seconds)


if __name__ == "__main__":
    if sys.argv[1] == "one":
        tick.serve("every-second", interval=1, parameters={"n": 5})
    else:
        serve(
            tick.to_deployment("manual"),
            nap.to_deployment("long", tags=["slow"]),
            limit=2,
        )
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "served.py"
    path.write_text(SCRIPT)
    return path


#: Generous deadlines: a loaded 2-core machine starts a process, or a run, in seconds.
#: The waits poll, so an idle machine passes as fast as before.
READY_SECONDS = 120.0
RUN_SECONDS = 120.0
#: SIGTERM lets the runs in flight finish first (serve runs one every second here).
STOP_SECONDS = 90.0


def _wait(predicate, timeout: float = RUN_SECONDS, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _registered(client: Any, *names: str) -> bool:
    try:
        for name in names:
            client.read_deployment_by_name(name)
    except DeploymentNotFound:
        return False
    return True


def _serving(p: Process, what: str) -> None:
    """Wait until the serve process says it serves (it has registered and started
    polling): what follows is timed from there, not from the process's start."""
    _wait(
        lambda: what in p.log() or p.process.poll() is not None,  # type: ignore[union-attr]
        timeout=READY_SECONDS,
        what=f"{what!r}",
    )
    assert what in p.log(), p.log()


def _env(monkeypatch: pytest.MonkeyPatch, home: Path, api_url: str | None) -> dict[str, str]:
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    if api_url:
        monkeypatch.setenv("HEADWATER_API_URL", api_url)
    return client_env(home, api_url)


def test_serve_without_a_server_schedules_and_runs(
    script: Path, headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater import run_deployment

    env = _env(monkeypatch, headwater_home, None)
    with Process([str(script), "one"], env, script.parent / "serve.log", cwd=script.parent) as p:
        _serving(p, "Serving tick/every-second")
        with get_client() as client:

            def scheduled_done():
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(auto_scheduled=True, state_types=["COMPLETED"]),
                    limit=100,
                )
                return len(runs) >= 2 and runs

            runs = _wait(scheduled_done, what="two scheduled runs:\n" + p.log())
        assert all(r.parameters == {"n": 5} for r in runs)
        manual = run_deployment("tick/every-second", parameters={"n": 7}, timeout=RUN_SECONDS)
        assert manual.state.name == "Completed", p.log()
        assert manual.parameters == {"n": 7}
        code = p.stop(signal.SIGTERM, timeout=STOP_SECONDS)
    assert code == 0, p.log()


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    """The session's SQLite server with short service timings."""
    return shared_servers.get("sqlite", FAST_ENV)


def test_serve_several_deployments_against_a_server(
    script: Path, server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater import run_deployment

    env = _env(monkeypatch, tmp_path / "client-home", server.api_url)
    with Process([str(script), "two"], env, tmp_path / "serve.log", cwd=script.parent) as p:
        _serving(p, "Serving")
        with get_client() as client:
            _wait(lambda: _registered(client, "nap/long", "tick/manual"), what="registration")
            long = run_deployment("nap/long", timeout=0)
            done = run_deployment("tick/manual", parameters={"n": 3}, timeout=RUN_SECONDS)
            assert done.state.name == "Completed", p.log()
            _wait(
                lambda: client.read_flow_run(long.id).state.name == "Running",
                what="the long run to start",
            )
            assert client.read_flow_run(long.id).tags == ["slow"]
            client.cancel_flow_run(long.id)
            _wait(
                lambda: client.read_flow_run(long.id).state.name == "Cancelled",
                what="Cancelled",
            )
        assert p.stop(signal.SIGTERM, timeout=STOP_SECONDS) == 0, p.log()


def test_serve_refuses_deployments_with_a_work_pool(tmp_path: Path) -> None:
    from headwater import flow, serve
    from headwater.exceptions import InvalidOptionError

    module = tmp_path / "pooled.py"
    module.write_text("from headwater import flow\n\n@flow\ndef f():\n    pass\n")
    from headwater.flows import load_flow

    f = load_flow(f"{module}:f")
    deployment = f.to_deployment("d", work_pool_name="pool")
    with pytest.raises(InvalidOptionError, match="has a work pool"):
        serve(deployment)
    with pytest.raises(InvalidOptionError, match="at least one deployment"):
        serve()
    assert flow is not None
