"""The ``process`` worker type: each claimed run starts as
``python -m headwater.engine RUN_ID`` in its own process group (``start_new_session``),
so cancelling it stops everything it started.  Cancelling sends SIGTERM to the group,
then SIGKILL after ``HEADWATER_CANCEL_GRACE_SECONDS``.  Workers and serve processes
both use it.

A warm engine process (Python and Headwater already imported) waits for the next run
on its stdin, so a claimed run starts without paying for the imports."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any, ClassVar

from headwater.workers.base import WorkerType

logger = logging.getLogger("headwater.worker")


class ProcessWorker(WorkerType):
    """Flow runs as local subprocesses of the worker."""

    type: ClassVar[str] = "process"
    description: ClassVar[str] = "Each run in a local process of the worker's machine."
    noun: ClassVar[str] = "process"
    variables: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "env": {
                "title": "Environment variables",
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
            },
            "working_dir": {
                "title": "Working directory",
                "type": ["string", "null"],
                "description": "Where the run's process starts (default: the worker's).",
                "default": None,
            },
        },
    }
    job_configuration: ClassVar[dict[str, Any]] = {
        "env": "{{ env }}",
        "working_dir": "{{ working_dir }}",
    }

    def __init__(self, client: Any, *, prewarm: bool = True, **options: Any) -> None:
        super().__init__(client, **options)
        self.prewarm = prewarm
        self._warm: subprocess.Popen[bytes] | None = None
        self._warm_lock = threading.Lock()
        if prewarm:
            self._prepare_warm()

    # -- the type's hooks ----------------------------------------------------------------
    def launch(self, run: Any, job: dict[str, Any]) -> subprocess.Popen[bytes]:
        env = {str(k): str(v) for k, v in (job.get("env") or {}).items()}
        working_dir = job.get("working_dir") or None
        try:
            process = None if env or working_dir else self._take_warm()
            if process is not None:
                assert process.stdin is not None
                process.stdin.write(f"{run.id}\n".encode())
                process.stdin.close()
                return process
            return subprocess.Popen(
                [sys.executable, "-m", "headwater.engine", str(run.id)],
                start_new_session=True,
                env={**os.environ, **env},
                cwd=working_dir,
            )
        finally:
            self._prepare_warm()

    def wait(self, handle: subprocess.Popen[bytes]) -> int:
        return handle.wait()

    def stop(self, handle: subprocess.Popen[bytes]) -> None:
        _signal_group(handle, signal.SIGTERM)

    def kill(self, handle: subprocess.Popen[bytes]) -> None:
        _signal_group(handle, signal.SIGKILL)

    def describe(self, handle: subprocess.Popen[bytes]) -> str:
        return f"process {handle.pid}"

    # -- the warm process ----------------------------------------------------------------
    def _prepare_warm(self) -> None:
        """Start the next warm engine process (in the background: claims do not wait)."""
        if not self.prewarm:
            return
        threading.Thread(target=self._spawn_warm, name="warm-engine", daemon=True).start()

    def _spawn_warm(self) -> None:
        with self._warm_lock:
            if self._warm is not None and self._warm.poll() is None:
                return
            try:
                self._warm = subprocess.Popen(
                    [sys.executable, "-m", "headwater.engine", "-"],
                    stdin=subprocess.PIPE,
                    start_new_session=True,
                    env=dict(os.environ),
                )
            except OSError as exc:
                logger.warning("could not start a warm engine process: %s", exc)
                self._warm = None

    def _take_warm(self) -> subprocess.Popen[bytes] | None:
        with self._warm_lock:
            warm, self._warm = self._warm, None
        if warm is None or warm.poll() is not None:
            return None
        return warm

    def close(self) -> None:
        """Let the warm process go (it exits when its stdin closes)."""
        self.prewarm = False
        with self._warm_lock:
            warm, self._warm = self._warm, None
        if warm is not None and warm.stdin is not None:
            try:
                warm.stdin.close()
                warm.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                warm.kill()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
