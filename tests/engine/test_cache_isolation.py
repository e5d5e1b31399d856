"""Two runs reaching the same cache key at once compute it once (real processes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.cache_policies import INPUTS
from headwater.locking import FileSystemLockManager
from headwater.results.storage import get_storage

from .helpers import log_messages, task_runs_of

RACER = textwrap.dedent(
    """
    import os, sys, time
    from headwater import flow, task
    from headwater.cache_policies import INPUTS

    log, go = sys.argv[1], sys.argv[2]

    @task(cache_policy=INPUTS)
    def slow(x: int) -> int:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\\n")
        time.sleep(1.0)
        return x * 7

    @flow
    def race() -> int:
        return slow(6)

    while not os.path.exists(go):
        time.sleep(0.002)
    print("result", race(), flush=True)
    """
)


def test_two_processes_compute_one_key_once(tmp_path: Path) -> None:
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    log, go = tmp_path / "body.log", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(log), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.2)  # both have (nearly) imported headwater; start them together
    go.write_text("go")
    outputs = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "result 42" in out
    assert len(log.read_text().splitlines()) == 1


def test_threads_racing_on_a_store_lock_compute_once() -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS, result_storage="memory://hw-isolation")
    def slow(x: int) -> int:
        calls.append(x)
        time.sleep(0.3)
        return x + 1

    @flow
    def race() -> list[int]:
        futures = [slow.submit(1) for _ in range(3)]
        return [f.result() for f in futures]

    assert race() == [2, 2, 2]
    assert calls == [1]


def test_lock_timeout_falls_back_to_computing(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS)
    def work(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> int:
        return work(5)

    state = pipeline(return_state=True)  # computes and persists: learn the key
    key = task_runs_of(state.state_details.flow_run_id)[0].cache_key
    assert key
    storage = get_storage(headwater_home / "storage")
    storage.delete(key)  # a miss again, while another holder keeps the lock
    monkeypatch.setenv("HEADWATER_RESULTS_LOCK_TIMEOUT_SECONDS", "0.2")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        locks = FileSystemLockManager(headwater_home / "storage" / ".locks")
        assert locks.acquire_lock(key, "another-run", acquire_timeout=5)
        held.set()
        release.wait(10)
        locks.release_lock(key, "another-run")

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        started = time.monotonic()
        state = pipeline(return_state=True)
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert state.result() == 5 and calls == [5, 5]
    assert waited >= 0.2
    messages = log_messages(state.state_details.flow_run_id)
    assert any("computing it here too" in m for m in messages)
