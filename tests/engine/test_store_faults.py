"""A store that cannot take the run's records: a full disk (a small tmpfs), a store
made read-only mid-run (its files made immutable), a server whose disk is full, a
server that is not running.  Each run ends Crashed with a message naming the cause, or
the process exits non-zero with one line saying so; never a false Completed, never a
hang.  Flows run in real subprocesses (what a user runs: ``python flow.py``)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.client.local import LocalClient
from tests._servers import ServerProcess, free_port

FLOW = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from headwater import flow, task, get_run_logger

    pause_at = int(os.environ.get("PAUSE_AT", "-1"))

    @task
    def noisy(i: int) -> int:
        if i == pause_at:  # let the test break the store, then go on
            Path("ready").touch()
            deadline = time.monotonic() + 30
            while not Path("go").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        get_run_logger().info("x" * 2000)
        return i

    @flow
    def fills_the_store(n: int) -> int:
        return sum(noisy(i) for i in range(n))

    print("result", fills_the_store(int(sys.argv[1])))
    """
)


def _run_flow(
    tmp_path: Path, env: dict[str, str], n: int, *, broken_by: Iterator[None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the flow script; with ``broken_by``, pause it at task 50 while the store
    is broken (the generator's first step), then let it go on."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    script = workdir / "flow.py"
    script.write_text(FLOW)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    full_env.update({"HEADWATER_LOGGING_CONSOLE": "false", "HEADWATER_API_RETRY_SECONDS": "3"})
    full_env.update(env)
    if broken_by is not None:
        full_env["PAUSE_AT"] = "50"
    process = subprocess.Popen(
        [sys.executable, str(script), str(n)],
        cwd=workdir,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if broken_by is not None:
            deadline = time.monotonic() + 60
            while not (workdir / "ready").exists() and process.poll() is None:
                assert time.monotonic() < deadline, "the flow never reached its pause"
                time.sleep(0.02)
            next(broken_by)
            (workdir / "go").touch()
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("headwater: error:")]


def _only_run(url: str) -> object:
    client = LocalClient(url)
    [run] = client.read_flow_runs()
    return run


@contextlib.contextmanager
def _small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not allowed'}")
    try:
        yield path
    finally:
        from headwater.server.db.database import forget_databases

        forget_databases()  # close this process's connections to stores on it
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_ends_the_run_crashed_saying_so(tmp_path: Path) -> None:
    with _small_tmpfs(tmp_path / "disk", "3m") as disk:
        url = f"sqlite:///{disk / 'headwater.db'}"
        done = _run_flow(tmp_path, {"HEADWATER_HOME": str(disk)}, 3000)
        assert done.returncode != 0
        assert "result" not in done.stdout
        assert "could not be written" in done.stderr  # the flow's exception says it too
        run = _only_run(url)
        state = run.state
        assert not state.is_completed(), state  # type: ignore[attr-defined]
        if not state.is_crashed():  # type: ignore[attr-defined]
            # The disk filled so far that even the Crashed state found no room (how far
            # the last batch got before the disk filled depends on timing): the process
            # must then say in its one error line that the final state was not recorded.
            [line] = _error_lines(done.stderr)
            assert "its final state could not be recorded" in line, done.stderr
            return
        message = state.message or ""
        assert "run records (task runs, logs) could not be written" in message
        assert "database or disk is full" in message and "free disk space" in message


def _immutable(*paths: Path) -> Iterator[None]:
    """Make the store's files immutable (writes fail with EPERM), then writable again."""
    for path in paths:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot make files immutable here: {made.stderr.strip()}")
    try:
        yield
    finally:
        for path in paths:
            subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_store_made_read_only_mid_run_exits_non_zero_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = home / "headwater.db"
    breaker = _immutable(db, db.with_name("headwater.db-wal"))
    started = time.monotonic()
    try:
        done = _run_flow(tmp_path, {"HEADWATER_HOME": str(home)}, 200, broken_by=breaker)
    finally:
        breaker.close()  # writable again
    assert time.monotonic() - started < 60
    assert done.returncode == 1
    [line] = _error_lines(done.stderr)
    assert "run records (task runs, logs) could not be written" in line
    assert "disk I/O error" in line and "its final state could not be recorded" in line
    run = _only_run(f"sqlite:///{db}")
    assert not run.state.is_completed()  # type: ignore[attr-defined]


def test_a_server_whose_disk_is_full_never_reports_completed(tmp_path: Path) -> None:
    with _small_tmpfs(tmp_path / "disk", "3m") as disk:
        url = f"sqlite:///{disk / 'headwater.db'}"
        with ServerProcess(tmp_path / "server", database_url=url) as server:
            started = time.monotonic()
            done = _run_flow(tmp_path, {"HEADWATER_API_URL": server.api_url}, 3000)
            assert time.monotonic() - started < 60
        assert done.returncode != 0
        assert "result" not in done.stdout
        assert "could not be written" in done.stderr
        assert "cannot reach" not in done.stderr  # the server answered: its words, not that
        assert done.stderr.count("before exit") <= 1  # records left at exit: said once
        run = _only_run(url)
        assert not run.state.is_completed()  # type: ignore[attr-defined]


def test_a_stopped_server_fails_fast_in_one_line(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}/api"
    env = {
        "HEADWATER_API_URL": api_url,
        "HEADWATER_LOGGING_CONSOLE": "true",
        "HEADWATER_API_RETRY_SECONDS": "30",  # the default: the start timeout governs
    }
    started = time.monotonic()
    done = _run_flow(tmp_path, env, 1)
    took = time.monotonic() - started
    assert done.returncode == 1
    # 5 s of retries by default (HEADWATER_API_START_TIMEOUT_SECONDS), plus the start
    # of a Python process on a busy machine; it used to take 30 s, then 30 more.
    assert took < 15
    [line] = _error_lines(done.stderr)
    assert f"cannot reach the Headwater server at {api_url}" in line
    assert "`headwater server start`" in line  # the hint
    # Each retry logged at WARNING, naming the refused connection.
    assert re.search(r"failed \((ConnectError|ConnectionRefusedError|.*[Rr]efused)", done.stderr)
    assert "could not record the crash" not in done.stderr  # the run was never created
