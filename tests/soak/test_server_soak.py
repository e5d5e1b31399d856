"""Soak: a 20,000-task flow against a real server, five times with logging to the
store on and five times with it off; every task run and log line must be stored every
time (counted through the API).  Only ``make soak`` runs it (marker ``soak``).

Each run is a fresh ``python flow.py`` process with HEADWATER_API_URL set, as users
run flows.  The figures (seconds per run, records per second) are printed and, with
HEADWATER_SOAK_REPORT=path, written there as JSON (docs/benchmarks.md has them).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess

TASKS = int(os.environ.get("HEADWATER_SOAK_TASKS", "20000"))
RUNS = int(os.environ.get("HEADWATER_SOAK_RUNS", "5"))
#: Read here: the tests' own fixture clears HEADWATER_* variables.
REPORT = os.environ.get("HEADWATER_SOAK_REPORT")

FLOW = """
import sys, time
from headwater import flow, task, get_run_logger
from headwater.context import FlowRunContext

run_ids = []

@task
def step(i: int) -> int:
    get_run_logger().info("step %d", i)
    return i

@flow(name="soak")
def soak(n: int) -> int:
    run_ids.append(FlowRunContext.get().flow_run_id)
    total = sum(future.result() for future in step.map(range(n)))
    # Flow-level work after the tasks (a summary, a notification): the writer takes
    # the last records meanwhile, so the final flush finds a batch in flight.
    time.sleep(0.25)
    return total

started = time.perf_counter()
state = soak(int(sys.argv[1]), return_state=True)
print(run_ids[0], state.type.value, time.perf_counter() - started)
"""

pytestmark = [pytest.mark.soak, pytest.mark.timeout(3600)]


@pytest.fixture(params=["sqlite", "postgresql"])
def soak_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Any:
    from tests.conftest import server_store

    with server_store(request.param, worker_id) as url:
        home = tmp_path_factory.mktemp("soak-server")
        with ServerProcess(home, database_url=url) as server:
            yield request.param, server


def _count(api: httpx.Client, what: str, flt: dict[str, Any]) -> int:
    answer = api.post(f"/{what}/count", json={what: flt})
    assert answer.status_code == 200, answer.text
    return int(answer.json())


@pytest.mark.parametrize("to_store", [True, False], ids=["logs-to-store", "logs-off"])
def test_every_record_of_every_run_is_stored(
    soak_server: tuple[str, ServerProcess], to_store: bool, tmp_path: Path
) -> None:
    kind, server = soak_server
    script = tmp_path / "soak_flow.py"
    script.write_text(FLOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(
        HEADWATER_HOME=str(tmp_path / "client-home"),
        HEADWATER_API_URL=server.api_url,
        HEADWATER_LOGGING_CONSOLE="false",
        HEADWATER_LOGGING_TO_STORE="true" if to_store else "false",
    )
    figures: list[dict[str, Any]] = []
    problems: list[str] = []
    with httpx.Client(base_url=server.api_url, timeout=60) as api:
        for attempt in range(RUNS):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(script), str(TASKS)],
                env=env,
                capture_output=True,
                text=True,
                timeout=1200,
            )
            wall = time.perf_counter() - started
            assert done.returncode == 0, done.stderr[-3000:]
            run_id, final, flow_seconds = done.stdout.split()
            task_runs = _count(api, "task_runs", {"flow_run_ids": [run_id]})
            completed = _count(
                api, "task_runs", {"flow_run_ids": [run_id], "state_types": ["COMPLETED"]}
            )
            steps = _count(api, "logs", {"flow_run_id": run_id, "text": "step "})
            expected_steps = TASKS if to_store else 0
            figures.append(
                {
                    "run": attempt + 1,
                    "state": final,
                    "task_runs": task_runs,
                    "step_logs": steps,
                    "process_s": round(wall, 2),
                    "flow_s": round(float(flow_seconds), 2),
                }
            )
            if (final, task_runs, completed, steps) != (
                "COMPLETED",
                TASKS,
                TASKS,
                expected_steps,
            ):
                problems.append(
                    f"run {attempt + 1}: {final}, {task_runs}/{TASKS} task runs "
                    f"({completed} completed), {steps}/{expected_steps} step log lines"
                )
    summary = {
        "store": kind,
        "logging_to_store": to_store,
        "tasks": TASKS,
        "runs": figures,
        "median_process_s": round(statistics.median(f["process_s"] for f in figures), 2),
        "median_flow_s": round(statistics.median(f["flow_s"] for f in figures), 2),
    }
    print(json.dumps(summary))
    if REPORT:
        with open(REPORT, "a") as out:
            out.write(json.dumps(summary) + "\n")
    assert not problems, "records lost:\n" + "\n".join(problems)
