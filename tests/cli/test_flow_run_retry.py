"""``headwater flow-run retry``: a run killed with SIGKILL mid-flow resumes without
re-running the tasks that finished before the kill (real processes throughout)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from uuid import UUID

from headwater import get_client
from headwater.states import Crashed

SCRIPT = textwrap.dedent(
    """
    import os, time
    from headwater import flow, get_run_context, task

    HERE = os.path.dirname(os.path.abspath(__file__))

    @task(persist_result=True)
    def step(i: int) -> int:
        with open(os.path.join(HERE, "calls.log"), "a") as handle:
            handle.write(f"step {i}\\n")
        return i + 1

    @task
    def wait_for_kill() -> None:
        if not os.path.exists(os.path.join(HERE, "resume")):
            with open(os.path.join(HERE, "ready"), "w") as handle:
                handle.write(str(get_run_context().flow_run_id))
            time.sleep(120)

    @flow
    def nightly() -> int:
        total = step(0) + step(1)
        wait_for_kill()
        return total + step(2)

    if __name__ == "__main__":
        nightly()
    """
)


def _headwater(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI; stdout/stderr with Rich's line wrapping undone."""
    proc = subprocess.run(
        [sys.executable, "-m", "headwater.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    proc.stdout = " ".join(proc.stdout.split())
    proc.stderr = " ".join(proc.stderr.split())
    return proc


def _start_and_kill(tmp_path: Path) -> UUID:
    script = tmp_path / "nightly.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    ready = tmp_path / "ready"
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready.exists(), "the flow never reached the point of the kill"
    time.sleep(0.3)  # longer than the writer's flush interval (0.05 s in tests)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    return UUID(ready.read_text())


def test_sigkilled_run_resumes_with_flow_run_retry(tmp_path: Path) -> None:
    run_id = _start_and_kill(tmp_path)
    assert get_client().read_flow_run(run_id).state.is_running()  # nobody saw it die
    refused = _headwater("flow-run", "retry", str(run_id))
    assert refused.returncode == 1
    assert "is Running; if its process is gone, retry with --force" in refused.stderr
    (tmp_path / "resume").touch()
    (tmp_path / "calls.log").write_text("")

    done = _headwater("flow-run", "retry", str(run_id), "--force")

    assert done.returncode == 0, done.stderr
    assert "finished Completed" in done.stdout
    assert (tmp_path / "calls.log").read_text().splitlines() == ["step 2"]
    run = get_client().read_flow_run(run_id)
    assert run.state.is_completed() and run.run_count == 2
    names = [s.name for s in get_client().read_flow_run_states(run_id)]
    assert names == ["Running", "Crashed", "AwaitingRetry", "Retrying", "Completed"]


def test_crashed_run_retries_without_force(tmp_path: Path) -> None:
    run_id = _start_and_kill(tmp_path)
    # What the server's zombie detector does for a run whose heartbeat stopped.
    get_client().set_flow_run_state(run_id, Crashed(message="heartbeat stopped"), force=True)
    (tmp_path / "resume").touch()
    (tmp_path / "calls.log").write_text("")
    done = _headwater("flow-run", "retry", str(run_id))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "calls.log").read_text().splitlines() == ["step 2"]


def test_bad_ids() -> None:
    bad = _headwater("flow-run", "retry", "nope")
    assert bad.returncode == 1 and "no flow run has the id, id prefix or name 'nope'" in bad.stderr
    missing = _headwater("flow-run", "retry", str(UUID(int=5)))
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert "Traceback" not in missing.stderr
