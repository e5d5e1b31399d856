"""The test servers of ``tests/_servers.py`` leave nothing behind: a server that
misses its readiness deadline, exits while starting or is interrupted is stopped and
reaped with everything it started, and a test process killed outright takes its
servers with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests._servers import ServerNotReady, ServerProcess, SharedServers, pid_alive

ROOT = Path(__file__).resolve().parent.parent

#: A "server" that never answers; it starts a child and writes both pids down.
NEVER_READY = """
import os, pathlib, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pathlib.Path(sys.argv[1]).write_text(f"{os.getpid()} {child.pid}")
time.sleep(60)
"""


class NeverReady(ServerProcess):
    """Waits for the fake server to start its child before the readiness wait."""

    def command(self) -> list[str]:
        script = self.home / "never_ready.py"
        script.write_text(NEVER_READY)
        return [sys.executable, str(script), str(self.home / "pids")]

    def wait_ready(self) -> None:
        pids(self.home)
        super().wait_ready()


def pids(home: Path, within: float = 30.0) -> tuple[int, int]:
    """The fake server's pid and its child's."""
    path = home / "pids"
    deadline = time.monotonic() + within
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, "the fake server never started its child"
        time.sleep(0.05)
    server, child = path.read_text().split()
    return int(server), int(child)


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_server_missing_its_deadline_is_stopped_with_its_children(tmp_path: Path) -> None:
    server = NeverReady(tmp_path, ready_seconds=0.0)
    with pytest.raises(ServerNotReady, match="not ready after"):
        server.start()
    assert server.process is None
    for pid in pids(tmp_path):
        assert _gone(pid), f"{pid} was left running"


def test_a_server_that_exits_while_starting_says_why(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, extra_env={"HEADWATER_DATABASE_URL": "mysql://nope/db"})
    with pytest.raises(ServerNotReady, match=r"exited \(1\) while starting") as failure:
        server.start()
    assert "unsupported database" in str(failure.value)
    assert server.process is None


def test_an_interrupted_start_still_stops_the_server(tmp_path: Path) -> None:
    class Interrupted(NeverReady):
        def wait_ready(self) -> None:
            pids(self.home)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Interrupted(tmp_path).start()
    for pid in pids(tmp_path):
        assert _gone(pid), f"{pid} was left running"


def test_servers_die_with_a_killed_test_process(tmp_path: Path) -> None:
    """The pytest worker itself SIGKILLed (a timeout, an OOM kill): its servers go too."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tests.test_servers import NeverReady\n"
        "NeverReady(Path(sys.argv[1]), ready_seconds=120).start()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT)
    server = None
    try:
        server, _child = pids(tmp_path)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert _gone(server), f"server {server} outlived its test process"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if server is not None:  # the fake's own child is an ordinary orphan: end it
            try:
                os.killpg(server, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_shared_servers_are_started_once_and_stopped_at_the_end(
    tmp_path: Path, worker_id: str
) -> None:
    from tests.conftest import server_store

    with SharedServers(tmp_path, lambda kind: server_store(kind, worker_id)).session() as shared:
        first = shared.get("sqlite")
        assert shared.get("sqlite") is first
        assert httpx.get(f"{first.api_url}/health").json() == {"status": "ok"}
        pid = first.pid
        assert pid is not None
    assert _gone(pid) and not first.alive()
