"""Ctrl-C, SIGTERM, sys.exit and SIGKILL: records written so far survive, the run ends
Crashed or Cancelled (or, after SIGKILL, at least everything flushed is there)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from headwater import flow, task
from tests.helpers import last_run, logs_of, task_runs_of


@task
def step(i: int) -> int:
    return i


def test_keyboard_interrupt_cancels_the_run_and_keeps_its_records() -> None:
    @flow
    def interrupted() -> None:
        for i in range(3):
            step(i)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    run = last_run()
    assert run.state.is_cancelled()
    assert "KeyboardInterrupt" in (run.state.message or "")
    assert [t.name for t in task_runs_of(run.id)] == ["step-0", "step-1", "step-2"]


def test_system_exit_crashes_the_run() -> None:
    @flow
    def exits() -> None:
        step(1)
        sys.exit(3)

    with pytest.raises(SystemExit):
        exits()
    run = last_run()
    assert run.state.is_crashed()
    assert "code 3" in (run.state.message or "")
    assert len(task_runs_of(run.id)) == 1


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from headwater import flow, task, get_run_logger

    @task
    def step(i):
        return i

    @flow
    def long_running():
        logger = get_run_logger()
        for i in range(5):
            step(i)
            logger.info("step %d done", i)
        print("READY", flush=True)
        time.sleep(60)

    long_running()
    """
)


def _start(tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "long_running.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    return proc


def test_sigterm_crashes_the_run_and_flushes_everything(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    run = last_run()
    assert run.state.is_crashed()
    assert "signal 15" in (run.state.message or "")
    assert len(task_runs_of(run.id)) == 5
    messages = [log.message for log in logs_of(run.id)]
    assert [m for m in messages if m.startswith("step")] == [f"step {i} done" for i in range(5)]


def test_sigkill_keeps_what_was_flushed(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    time.sleep(0.3)  # a few flush intervals (the test settings flush every 50 ms)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    run = last_run()
    assert run.state.is_running()  # nobody could say otherwise; zombie detection does later
    assert len(task_runs_of(run.id)) == 5
    assert len([log for log in logs_of(run.id) if log.message.startswith("step")]) == 5


CANCELLED_SCRIPT = textwrap.dedent(
    """
    import os, signal, time, uuid
    from headwater import flow, get_client
    from headwater.exceptions import TerminationSignal
    from headwater.runtime import flow_run

    @flow
    def cancelled_while_running():
        with get_client(sync_client=True) as client:
            client.cancel_flow_run(uuid.UUID(flow_run.id))  # Cancelling: a worker would SIGTERM it
        print("READY", flush=True)
        time.sleep(60)

    try:
        cancelled_while_running()
    except TerminationSignal:
        # A second SIGTERM (the worker's and the heartbeat's both come) arriving only
        # after the engine is done with the first: it ends the process at once.
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """
)


def test_a_cancelled_run_records_its_last_log_line_before_a_second_sigterm(
    tmp_path: Path,
) -> None:
    script = tmp_path / "cancelled.py"
    script.write_text(CANCELLED_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM, err
    run = last_run()
    assert run.state.is_cancelled(), run.state
    finished = [log.message for log in logs_of(run.id) if "Finished in state" in log.message]
    assert finished and "Cancelled" in finished[0], [log.message for log in logs_of(run.id)]
