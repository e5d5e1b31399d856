"""A server killed and restarted in the middle of a flow run loses nothing: the writer
buffers while the server is away, and every create is an idempotent upsert.

The flow (a few thousand tasks, in its own process with HEADWATER_API_URL set) stops
at a third of its tasks until the test has seen records arrive; the server is then
killed while the flow goes on at full speed (a batch is usually in flight), and
started again on the same port and store.  Every task run, every log line and the
final state must be there afterwards.
"""

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

TASKS = 3000

FLOW = f"""
import os, sys, time
from pathlib import Path
from headwater import flow, task, get_run_logger

@task
def step(i: int) -> int:
    get_run_logger().info("task line %d", i)
    return i

@flow(name=sys.argv[1])
def long_flow() -> int:
    total = 0
    for i in range({TASKS}):
        if i == {TASKS} // 3:
            Path(os.environ["MID_FILE"]).write_text("1")
            while not Path(os.environ["GO_FILE"]).exists():
                time.sleep(0.005)
        total += step(i)
    get_run_logger().info("flow done")
    return total

print(long_flow())
"""


def _count(api: httpx.Client, what: str, body: dict) -> int:
    try:
        answer = api.post(f"/{what}/count", json=body)
    except httpx.HTTPError:
        return -1
    return int(answer.json()) if answer.status_code == 200 else -1


def _wait(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("sig", "kind"),
    [(signal.SIGKILL, "sqlite"), (signal.SIGKILL, "postgresql"), (signal.SIGTERM, "sqlite")],
    ids=["kill-sqlite", "kill-postgresql", "term-sqlite"],
)
def test_restart_during_a_flow_run_loses_nothing(
    tmp_path: Path, sig: int, kind: str, worker_id: str
) -> None:
    script = tmp_path / "long_flow.py"
    script.write_text(FLOW)
    mid, go = tmp_path / "mid", tmp_path / "go"
    flow_name = f"restart-{kind}-{sig}"
    with (
        server_store(kind, worker_id) as url,
        ServerProcess(tmp_path / "server-home", database_url=url) as server,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env.update(
            HEADWATER_HOME=str(tmp_path / "client-home"),
            HEADWATER_API_URL=server.api_url,
            HEADWATER_LOGGING_CONSOLE="false",
            HEADWATER_WRITER_FLUSH_SECONDS="0.05",
            MID_FILE=str(mid),
            GO_FILE=str(go),
        )
        flow_process = subprocess.Popen(
            [sys.executable, str(script), flow_name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            with httpx.Client(base_url=server.api_url, timeout=10) as api:
                _wait(lambda: mid.exists() or flow_process.poll() is not None, "the flow")
                assert flow_process.poll() is None, flow_process.communicate()[1].decode()
                _wait(lambda: _count(api, "task_runs", {}) > 0, "the first task runs")
                go.write_text("1")
                server.stop(sig)  # the flow runs on at full speed, its writer mid-batch
                time.sleep(0.3)
                server.start()
                out, err = flow_process.communicate(timeout=90)
                assert flow_process.returncode == 0, err.decode()[-3000:]
                assert out.decode().strip() == str(sum(range(TASKS)))
                (run,) = api.post(
                    "/flow_runs/filter", json={"flow_runs": {"flow_names": [flow_name]}}
                ).json()["results"]
                assert run["state"]["type"] == "COMPLETED"
                of_run = {"task_runs": {"flow_run_ids": [run["id"]]}}
                assert _count(api, "task_runs", of_run) == TASKS
                done = {"task_runs": {"flow_run_ids": [run["id"]], "state_types": ["COMPLETED"]}}
                assert _count(api, "task_runs", done) == TASKS
                assert _count(api, "logs", {"logs": {"flow_run_id": run["id"]}}) >= TASKS + 1
                task_lines = {"logs": {"flow_run_id": run["id"], "text": "task line"}}
                assert _count(api, "logs", task_lines) == TASKS
        finally:
            if flow_process.poll() is None:
                flow_process.kill()
                flow_process.communicate()
