"""Real Headwater server processes for tests: `python -m headwater server start` on a
free loopback port with its own HEADWATER_HOME, stopped by the test that started it.

A server that misses its readiness deadline, dies while starting, or belongs to a test
that failed is stopped and reaped with its whole process group, so a loaded run leaves
no orphans; on Linux the kernel also stops it if the test process itself is killed.
``SharedServers`` keeps one server per kind of store for a whole test session (one set
per xdist worker) for the many tests that only need *a* server.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

#: How long a server may take to answer ``/api/health``: generous, because on a busy
#: 2-core machine a cold start (imports, migrations) has been seen to take 20 s.
READY_SECONDS = float(os.environ.get("HEADWATER_TEST_READY_SECONDS", "90"))
#: How long a stopped server may take to exit before it is killed.
STOP_SECONDS = 15.0

_live: weakref.WeakSet[ServerProcess] = weakref.WeakSet()


class ServerNotReady(RuntimeError):
    """The server exited or did not answer in time (it has been stopped)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exit_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when this process dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class ServerProcess:
    """One server; ``start``/``stop``/``restart`` keep its port and store."""

    def __init__(
        self,
        home: Path,
        *,
        database_url: str | None = None,
        api_key: str | None = None,
        port: int | None = None,
        extra_env: dict[str, str] | None = None,
        ready_seconds: float = READY_SECONDS,
    ) -> None:
        self.home = home
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/api"
        self.log_path = home / f"server-{self.port}.log"
        self.ready_seconds = ready_seconds
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env["HEADWATER_HOME"] = str(home)
        if database_url:
            env["HEADWATER_DATABASE_URL"] = database_url
        if api_key:
            env["HEADWATER_SERVER_API_KEY"] = api_key
        env.update(extra_env or {})
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "headwater", "server", "start", "--port", str(self.port)]

    def start(self) -> ServerProcess:
        """Start and wait until ``/api/health`` answers; on any failure (not ready in
        time, exited, interrupted) the process group is killed and reaped first."""
        if self.process is not None:
            raise RuntimeError(f"server on port {self.port} is already started")
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() takes all of it
                preexec_fn=_exit_with_parent(),
            )
        _live.add(self)
        try:
            self.wait_ready()
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        return self

    def wait_ready(self) -> None:
        """Poll ``/api/health`` with backoff until it answers 200 or the deadline."""
        process = self.process
        assert process is not None, "start() the server first"
        started = time.monotonic()
        deadline = started + self.ready_seconds
        delay = 0.02
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while True:
                if process.poll() is not None:
                    raise ServerNotReady(
                        f"server exited ({process.returncode}) while starting:\n{self.log_tail()}"
                    )
                try:
                    if http.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServerNotReady(
                        f"server (pid {process.pid}) not ready after "
                        f"{time.monotonic() - started:.1f} s:\n{self.log_tail()}"
                    )
                time.sleep(min(delay, left))
                delay = min(delay * 1.5, 0.5)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Signal the server's process group, wait, kill what is left; the exit code."""
        process = self.process
        if process is None:
            return None
        self.process = None
        _live.discard(self)
        _signal_group(process.pid, sig)
        try:
            code = process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            code = process.wait(STOP_SECONDS)
        _signal_group(process.pid, signal.SIGKILL)  # anything it started and left behind
        return code

    def kill(self) -> None:
        """SIGKILL, the way a machine loses a process: no shutdown at all."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log()[-chars:]

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    """Stop every server still running (the session's last safety net)."""
    for server in list(_live):
        server.stop(signal.SIGKILL)


class SharedServers:
    """Servers shared by every test of a session that only needs *a* server: one per
    (store kind, environment), started on first use, stopped when the session ends.

    Tests on a shared server must not assume an empty store: they use unique names
    (or filter by the ids they made) and leave server-wide settings alone.
    """

    def __init__(self, root: Path, store: Callable[[str], contextlib.AbstractContextManager]):
        self.root = root
        self._store = store
        self._servers: dict[tuple[str, tuple[tuple[str, str], ...]], ServerProcess] = {}
        self._stack = contextlib.ExitStack()

    def get(self, kind: str, extra_env: dict[str, str] | None = None) -> ServerProcess:
        key = (kind, tuple(sorted((extra_env or {}).items())))
        server = self._servers.get(key)
        if server is not None:
            if not server.alive():
                raise RuntimeError(f"the shared {kind} server died:\n{server.log_tail()}")
            return server
        url = self._stack.enter_context(self._store(kind))
        home = self.root / f"{kind}-{len(self._servers)}"
        server = ServerProcess(home, database_url=url, extra_env=extra_env)
        self._stack.enter_context(server)
        self._servers[key] = server
        return server

    def close(self) -> None:
        self._servers.clear()
        self._stack.close()

    @contextlib.contextmanager
    def session(self) -> Iterator[SharedServers]:
        try:
            yield self
        finally:
            self.close()
