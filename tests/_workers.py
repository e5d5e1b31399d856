"""Real worker and serve processes for tests, stopped by the test that started them,
and a local bare git repository of flows for them to pull."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

#: Timings shortened for tests (the server, workers and flow-run processes read them).
FAST_ENV = {
    "HEADWATER_SERVICES_LOOP_SECONDS": "0.2",
    "HEADWATER_HEARTBEAT_SECONDS": "0.3",
    "HEADWATER_ZOMBIE_AFTER_SECONDS": "8",  # a loaded 2-core machine starves processes for seconds
    "HEADWATER_WORKER_POLL_SECONDS": "1",
    "HEADWATER_WORKER_HEARTBEAT_SECONDS": "1",
    "HEADWATER_CANCEL_GRACE_SECONDS": "2",
    "HEADWATER_LATE_AFTER_SECONDS": "30",
}

FLOWS = """
import os
import pathlib
import time

from headwater import flow, get_run_logger, task


@flow
def quick(x: int = 1) -> int:
    get_run_logger().info("quick got %d (env %s)", x, os.environ.get("HW_TEST_ENV"))
    return x * 2


@flow(retries=1)
def killable(marker: str) -> str:
    path = pathlib.Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(60)
    return "second attempt"


@flow
def sleepy(marker: str, seconds: float = 60) -> None:
    pathlib.Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)


@task
def nap(marker: str, seconds: float) -> None:
    pathlib.Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)


@flow
def sleepy_in_task(marker: str, seconds: float = 60) -> None:
    nap(marker, seconds)


@flow
def dies() -> None:
    os._exit(3)


def plain() -> None:
    pass
"""


def make_git_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """A bare repository (``root/flows.git``) with ``flows.py`` on branch main."""
    work = root / "work"
    work.mkdir(parents=True)
    for name, text in (files or {"flows.py": FLOWS}).items():
        (work / name).write_text(textwrap.dedent(text))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "commit", "-qm", "flows"],
    ):
        subprocess.run(command, cwd=work, env=env, check=True)
    bare = root / "flows.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare


class Process:
    """``python -m headwater ARGS`` (or ``python SCRIPT``) with its own log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None):
        self.args = args
        self.env = env
        self.log_path = log
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
            )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        return process.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Process:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client_env(home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(FAST_ENV)
    env["HEADWATER_HOME"] = str(home)
    env["HEADWATER_LOGGING_CONSOLE"] = "false"
    if api_url:
        env["HEADWATER_API_URL"] = api_url
    return env


def worker(home: Path, api_url: str, pool: str, *extra: str, name: str = "w") -> Process:
    home.mkdir(parents=True, exist_ok=True)
    args = ["-m", "headwater", "worker", "start", "--pool", pool, "--name", name, *extra]
    return Process(args, client_env(home, api_url), home / f"worker-{name}.log")


def deploy_from(flows_dir: Path, pool: str, entry: str, **options: Any) -> str:
    """Deploy ``flows.py:<entry>`` of ``flows_dir`` to ``pool`` under a fresh name;
    the deployment's full name."""
    import uuid

    from headwater import flow

    deployed = flow.from_source(source=str(flows_dir), entrypoint=f"flows.py:{entry}")
    name = f"d-{uuid.uuid4().hex[:6]}"
    deployed.deploy(name, work_pool_name=pool, **options)
    return f"{deployed.name}/{name}"
