"""Task workers in real processes (``headwater task serve``) against the embedded
SQLite store and against real servers: submitted runs are run once each, shared by
several workers, retried, their results read back; a worker killed mid-task loses
its run to the other worker once its claim expires."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._servers import SharedServers
from tests._workers import FAST_ENV, Process, client_env

TASKS = """
import os
import pathlib
import time
import uuid

from headwater import task


@task
def record(i: int, out: str, pause: float = 0.0) -> int:
    time.sleep(pause)
    pathlib.Path(out, f"{i}.{os.getpid()}.{uuid.uuid4().hex[:6]}").touch()
    return i * 2


@task(retries=2, retry_delay_seconds=0)
def flaky(marker: str) -> str:
    path = pathlib.Path(marker)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    if attempt < 3:
        raise RuntimeError(f"attempt {attempt} fails")
    return f"ok after {attempt}"


@task
async def async_double(x: int) -> int:
    return 2 * x


@task
def stuck_once(marker: str) -> str:
    path = pathlib.Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(120)
    return f"done by {os.getpid()}"
"""

MODULE = "hw_bg_tasks"


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tasks' module, importable here and by the workers (run in this directory)."""
    root = tmp_path_factory.mktemp("bg-code")
    (root / f"{MODULE}.py").write_text(textwrap.dedent(TASKS))
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        sys.modules.pop(MODULE, None)


@pytest.fixture(params=["embedded", "sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest,
    shared_servers: SharedServers,
    headwater_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str | None:
    """Where submitter and workers meet: the embedded store of this test's home, or a
    server (with this test's home for results).  The API URL, or None."""
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    if request.param == "embedded":
        return None
    server = shared_servers.get(request.param, FAST_ENV)
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    return server.api_url


class Workers:
    def __init__(self, home: Path, api_url: str | None, code: Path) -> None:
        self.home, self.api_url, self.code = home, api_url, code
        self.started: list[Process] = []

    def start(self, *tasks: str, limit: int = 4) -> Process:
        name = f"tw{len(self.started)}"
        args = ["-m", "headwater", "task", "serve"]
        args += [f"{MODULE}:{t}" for t in tasks] + ["--limit", str(limit), "--name", name]
        env = client_env(self.home, self.api_url)
        env["HEADWATER_LOGGING_CONSOLE"] = "true"  # the worker's own lines, in its log
        self.home.mkdir(parents=True, exist_ok=True)
        process = Process(args, env, self.home / f"{name}.log", cwd=self.code).start()
        self.started.append(process)
        _until(lambda: "serving" in process.log() or _dead(process), 60, "worker start")
        assert not _dead(process), process.log()
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()


@pytest.fixture
def workers(store: str | None, headwater_home: Path, code_dir: Path) -> Iterator[Workers]:
    made = Workers(headwater_home, store, code_dir)
    try:
        yield made
    finally:
        made.stop_all()


def _dead(process: Process) -> bool:
    return process.process is not None and process.process.poll() is not None


def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_share_200_runs_each_run_once(workers: Workers, tmp_path: Path) -> None:
    import hw_bg_tasks

    out = tmp_path / "out"
    out.mkdir()
    first = workers.start("record")
    second = workers.start("record")
    futures = [hw_bg_tasks.record.delay(i, str(out), 0.02) for i in range(200)]
    assert [f.result(timeout=120) for f in futures] == [i * 2 for i in range(200)]
    files = [p.name.split(".") for p in out.iterdir()]
    assert Counter(int(i) for i, _, _ in files) == Counter(range(200))  # each once
    pids = Counter(pid for _, pid, _ in files)
    assert set(pids) == {str(first.process.pid), str(second.process.pid)}, pids
    states = {f.state.name for f in futures}
    assert states == {"Completed"}


def test_retries_and_result_through_the_handle(workers: Workers, tmp_path: Path) -> None:
    import hw_bg_tasks

    workers.start("flaky", "record", "async_double")
    handle = hw_bg_tasks.flaky.delay(str(tmp_path / "attempts"))
    assert handle.result(timeout=60) == "ok after 3"
    assert (tmp_path / "attempts").read_text() == "3"
    from headwater.client import get_client

    with get_client() as client:
        run = client.read_task_run(handle.task_run_id)
    assert run.state.name == "Completed" and run.run_count == 3 and run.flow_run_id is None
    applied = hw_bg_tasks.record.apply_async((5, str(tmp_path)), {"pause": 0})
    assert applied.result(timeout=60) == 10
    from headwater import unmapped

    mapped = hw_bg_tasks.record.map([1, 2, 3], unmapped(str(tmp_path)), deferred=True)
    assert [h.result(timeout=60) for h in mapped] == [2, 4, 6]
    assert hw_bg_tasks.async_double.delay(21).result(timeout=60) == 42


def test_a_killed_worker_loses_its_run_to_the_other(workers: Workers, tmp_path: Path) -> None:
    import hw_bg_tasks

    first = workers.start("stuck_once")
    second = workers.start("stuck_once")
    marker = tmp_path / "marker"
    handle = hw_bg_tasks.stuck_once.delay(str(marker))
    holder = int(_until(lambda: marker.exists() and marker.read_text(), 60, "the first attempt"))
    victim, survivor = (first, second) if holder == first.process.pid else (second, first)
    assert holder == victim.process.pid
    os.kill(holder, signal.SIGKILL)
    victim.process.wait(10)
    # Taken over once the claim expires (HEADWATER_ZOMBIE_AFTER_SECONDS), then run.
    assert handle.result(timeout=90) == f"done by {survivor.process.pid}"
    assert "taken over from task worker" in survivor.log()
