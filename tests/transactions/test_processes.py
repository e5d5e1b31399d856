"""Keyed transactions across real processes: a SIGKILL mid-transaction leaves nothing
visible, and two processes on one SERIALIZABLE key do its work once — with lock
files, and with store locks through a server (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests._servers import ServerProcess

WORKER = textwrap.dedent(
    """
    import os, sys, time
    from headwater import flow, task
    from headwater.locking import FileSystemLockManager, StoreLockManager
    from headwater.results import ResultStore
    from headwater.transactions import transaction

    mode, storage, key, log, go, pause = sys.argv[1:7]
    if mode == "file":
        locks = FileSystemLockManager(os.path.join(storage, ".locks"))
    else:
        locks = StoreLockManager()  # the store behind HEADWATER_API_URL
    store = ResultStore(result_storage=storage, lock_manager=locks)

    @task(persist_result=True, result_storage=storage, result_storage_key="step-" + key)
    def compute() -> int:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\\n")
        return 42

    @flow
    def once() -> str:
        with transaction(key=key, store=store, isolation_level="SERIALIZABLE") as txn:
            if txn.is_committed():
                return f"read {txn.read().result}"
            value = compute()
            open(log + ".staged", "w").close()
            time.sleep(float(pause))
            txn.stage(value)
        return f"ran {value}"

    while go != "-" and not os.path.exists(go):
        time.sleep(0.002)
    print(once(), flush=True)
    """
)


def _worker(
    tmp_path: Path, mode: str, key: str, pause: float, go: str = "-", **env: str
) -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            mode,
            str(tmp_path / "storage"),
            key,
            str(tmp_path / "body.log"),
            go,
            str(pause),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return out.strip().splitlines()[-1]


def _body_runs(tmp_path: Path) -> int:
    log = tmp_path / "body.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_sigkill_mid_transaction_leaves_nothing_and_the_rerun_does_the_work(
    tmp_path: Path,
) -> None:
    key = "nightly-load"
    proc = _worker(tmp_path, "file", key, pause=120)
    staged = tmp_path / "body.log.staged"
    deadline = time.monotonic() + 60
    while not staged.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # the task finished, its transaction had not
    proc.communicate(timeout=30)
    storage = tmp_path / "storage"
    assert not (storage / key).exists()  # no commit record
    assert not (storage / f"step-{key}").exists()  # the staged result never appeared
    assert _body_runs(tmp_path) == 1

    assert _finish(_worker(tmp_path, "file", key, pause=0)) == "ran 42"
    assert _body_runs(tmp_path) == 2  # the rerun did the work (the lock was not stuck)
    assert (storage / key).exists() and (storage / f"step-{key}").exists()
    assert _finish(_worker(tmp_path, "file", key, pause=0)) == "read 42"
    assert _body_runs(tmp_path) == 2


def _race(tmp_path: Path, mode: str, key: str, **env: str) -> list[str]:
    go = tmp_path / "go"
    procs = [_worker(tmp_path, mode, key, pause=1.0, go=str(go), **env) for _ in range(2)]
    time.sleep(0.3)  # both have (nearly) imported headwater: start them together
    go.write_text("go")
    return sorted(_finish(proc) for proc in procs)


def test_two_processes_on_one_serializable_key_do_the_work_once(tmp_path: Path) -> None:
    assert _race(tmp_path, "file", "one-key") == ["ran 42", "read 42"]
    assert _body_runs(tmp_path) == 1


@pytest.mark.timeout(300)
def test_two_processes_on_one_key_through_a_server(
    tmp_path: Path, api_server: ServerProcess
) -> None:
    key = f"server-key-{time.monotonic_ns()}"
    outcome = _race(tmp_path, "store", key, HEADWATER_API_URL=api_server.url)
    assert outcome == ["ran 42", "read 42"]
    assert _body_runs(tmp_path) == 1
