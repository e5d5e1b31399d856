"""`headwater flow-run ls | inspect | logs` and `task-run ls` on the embedded store."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

from headwater import flow, get_run_logger, task
from headwater.client.writer import flush_all
from tests.helpers import last_run


@task
def step(i: int) -> int:
    if i == 2:
        raise ValueError("step two failed")
    return i


@flow(flow_run_name="nightly-load")
def nightly(n: int = 3) -> None:
    get_run_logger().info("loading %d", n)
    for i in range(n):
        step(i, return_state=True)


def test_ls_shows_runs_with_state_and_filters(cli: Any) -> None:
    nightly(2)

    @flow
    def broken() -> None:
        raise RuntimeError("x")

    broken(return_state=True)
    result = cli("flow-run", "ls")
    assert result.exit_code == 0
    assert "nightly-load" in result.output and "Completed" in result.output
    assert "Failed" in result.output
    only_failed = cli("flow-run", "ls", "--state", "failed")
    assert "broken" in only_failed.output and "nightly" not in only_failed.output
    by_flow = cli("flow-run", "ls", "--flow", "nightly")
    assert "nightly-load" in by_flow.output and "broken" not in by_flow.output


def test_inspect_shows_parameters_history_and_task_runs(cli: Any) -> None:
    nightly(3)
    run = last_run()
    result = cli("flow-run", "inspect", str(run.id))
    assert result.exit_code == 0
    for expected in ("nightly-load", "{'n': 3}", "Running", "Completed", "step-0", "step-2"):
        assert expected in result.output


def test_logs_prints_the_run_logs(cli: Any) -> None:
    nightly(3)
    result = cli("flow-run", "logs", str(last_run().id))
    assert result.exit_code == 0
    assert "loading 3" in result.output
    assert "step two failed" in result.output
    warnings_only = cli("flow-run", "logs", str(last_run().id), "--level", "error")
    assert "loading 3" not in warnings_only.output and "step two failed" in warnings_only.output


def test_logs_follow_until_the_run_finishes(cli: Any) -> None:
    release = threading.Event()

    @flow
    def slow() -> None:
        logger = get_run_logger()
        logger.info("first line")
        release.wait(5)
        logger.info("last line")

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        flush_all()
        try:
            run_id = last_run().id
            break
        except AssertionError:
            time.sleep(0.02)
    threading.Timer(0.5, release.set).start()
    result = cli("flow-run", "logs", str(run_id), "--follow")
    thread.join()
    assert "first line" in result.output and "last line" in result.output


def test_task_run_ls(cli: Any) -> None:
    nightly(3)
    result = cli("task-run", "ls", "--flow-run", str(last_run().id))
    assert result.exit_code == 0
    assert "step-0" in result.output and "Failed" in result.output
    failed_only = cli("task-run", "ls", "--flow-run", str(last_run().id), "--state", "FAILED")
    assert "step-2" in failed_only.output and "step-0" not in failed_only.output


def test_bad_input_is_one_line_with_a_hint(cli: Any) -> None:
    result = cli("flow-run", "inspect", "not-an-id")
    assert result.exit_code == 1
    assert "Error: no flow run has the id, id prefix or name 'not-an-id'" in result.output
    missing = cli("flow-run", "inspect", "00000000-0000-0000-0000-000000000000")
    assert missing.exit_code == 1 and "not found" in missing.output
    bad_state = cli("flow-run", "ls", "--state", "sleeping")
    assert bad_state.exit_code == 1 and "unknown state 'sleeping'" in bad_state.output
    bad_level = cli("flow-run", "logs", "00000000-0000-0000-0000-000000000000", "-l", "loud")
    assert bad_level.exit_code == 1 and "unknown level" in bad_level.output


def test_version_and_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "version"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Headwater ")
    assert "sqlite:///" in result.stdout
