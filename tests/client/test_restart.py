"""A server restarted in the middle of a flow run loses no task runs or logs: the
writer buffers while the server is away, and every create is an idempotent upsert."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests._servers import ServerProcess
from tests.conftest import server_store

TASKS = 80

FLOW = f"""
import sys, time
from headwater import flow, task, get_run_logger

@task
def step(i: int) -> int:
    get_run_logger().info("task line %d", i)
    time.sleep(0.04)
    return i

@flow(name="restart-me")
def long_flow() -> int:
    log = get_run_logger()
    total = 0
    for i in range({TASKS}):
        total += step(i)
        log.info("flow line %d", i)
    return total

print(long_flow())
"""


def _task_runs(api: httpx.Client) -> list[dict]:
    body = {"task_runs": {}, "limit": 1000}
    try:
        return list(api.post("/task_runs/filter", json=body).json()["results"])
    except (httpx.HTTPError, KeyError, ValueError):
        return []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_restart_during_a_flow_run_loses_nothing(
    tmp_path: Path, kind: str, sig: int, worker_id: str
) -> None:
    script = tmp_path / "long_flow.py"
    script.write_text(FLOW)
    with server_store(kind, worker_id) as url:
        server = ServerProcess(tmp_path / "server-home", database_url=url).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env.update(
            HEADWATER_HOME=str(tmp_path / "client-home"),
            HEADWATER_API_URL=server.api_url,
            HEADWATER_LOGGING_CONSOLE="false",
            HEADWATER_WRITER_FLUSH_SECONDS="0.05",
        )
        flow_process = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            with httpx.Client(base_url=server.api_url, timeout=10) as api:
                deadline = time.monotonic() + 30
                while len(_task_runs(api)) < 10 and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert flow_process.poll() is None, "the flow finished before the restart"
                server.stop(sig)
                time.sleep(0.5)  # the flow keeps running while the server is away
                server.start()
                out, err = flow_process.communicate(timeout=60)
                assert flow_process.returncode == 0, err.decode()[-3000:]
                assert out.decode().strip() == str(sum(range(TASKS)))
                (run,) = api.post(
                    "/flow_runs/filter", json={"flow_runs": {"flow_names": ["restart-me"]}}
                ).json()["results"]
                assert run["state"]["type"] == "COMPLETED"
                task_runs = _task_runs(api)
                assert len(task_runs) == TASKS
                assert all(t["state"]["type"] == "COMPLETED" for t in task_runs)
                logs = api.post(
                    "/logs/filter", json={"logs": {"flow_run_id": run["id"]}, "limit": 1000}
                ).json()["results"]
                messages = {log["message"] for log in logs}
                for i in range(TASKS):
                    assert f"task line {i}" in messages and f"flow line {i}" in messages
        finally:
            if flow_process.poll() is None:
                flow_process.kill()
                flow_process.communicate()
            server.stop()
