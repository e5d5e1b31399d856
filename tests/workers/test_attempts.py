"""A worker watching two attempts of one run: the old attempt's process ends while the
new one runs (a suspended run resumed and claimed again by the same worker).  The old
one's end must leave the new one's process in the worker's care.  Real processes and a
real SQLite store; the worker type is the base class over plain ``sleep`` processes."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from headwater.client.local import LocalClient
from headwater.states import Pending, Running, Scheduled, Suspended
from headwater.workers.base import WorkerType
from tests.client.conformance.records import new_run


class SleepWorker(WorkerType):
    noun = "process"

    def wait(self, handle: subprocess.Popen[bytes]) -> int:
        return handle.wait()

    def stop(self, handle: subprocess.Popen[bytes]) -> None:
        handle.terminate()

    def kill(self, handle: subprocess.Popen[bytes]) -> None:
        handle.kill()


def _sleep(seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", str(seconds)])


def test_the_old_attempts_end_leaves_the_new_attempt_watched(tmp_path: Path) -> None:
    client = LocalClient(f"sqlite:///{tmp_path / 'store.db'}")
    run_id = new_run(client, Pending())["id"]
    claimed = client.read_flow_run(run_id).state.timestamp
    runner = SleepWorker(client, grace_seconds=1.0)
    gate = tmp_path / "gate"
    old = subprocess.Popen(["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.05; done"])
    new: Any = None
    try:
        runner._watch_in_thread(run_id, old, claimed)
        for state in (Running(), Suspended(timeout_seconds=60), Scheduled(), Pending()):
            client.set_flow_run_state(run_id, state, force=True)
        new = _sleep(60)
        runner._watch_in_thread(run_id, new, client.read_flow_run(run_id).state.timestamp)
        client.set_flow_run_state(run_id, Running(), force=True)
        gate.touch()  # the old attempt's process ends now
        old.wait(30)
        deadline = time.monotonic() + 30
        while len(_watchers(run_id)) > 1:  # until the old attempt's watcher is done
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.read_flow_run(run_id).state.name == "Running"  # not Crashed
        assert runner.active_ids == [run_id]  # the new attempt is still watched
        runner.cancel(run_id)  # so it can still be stopped
        assert new.wait(30) == -15
        assert runner.wait_all(30)
    finally:
        gate.touch()
        if new is not None and new.poll() is None:
            new.kill()
        runner.close()


def _watchers(run_id: Any) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"watch-{run_id}"]
