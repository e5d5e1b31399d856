"""Starting, watching and stopping flow-run processes (for workers and serve).

Each claimed run starts as ``python -m headwater.engine RUN_ID`` in its own process
group (``start_new_session``), so cancelling it stops everything it started.  When
the process ends without the run reaching a final state (killed, out of memory,
``os._exit``), the run is reported Crashed with the exit code.  Cancelling sends
SIGTERM to the group, then SIGKILL after ``HEADWATER_CANCEL_GRACE_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any
from uuid import UUID

from headwater.states import Cancelled, StateType

logger = logging.getLogger("headwater.worker")

_FINAL = (StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class ProcessRunner:
    """The flow-run processes of one worker or serve process."""

    def __init__(
        self, client: Any, *, grace_seconds: float, label: str = "worker", prewarm: bool = True
    ) -> None:
        self.client = client
        self.grace_seconds = grace_seconds
        self.label = label
        self._processes: dict[UUID, subprocess.Popen[bytes]] = {}
        self._cancelling: set[UUID] = set()
        self._lock = threading.Lock()
        self.slot_freed = threading.Event()
        self.prewarm = prewarm
        self._warm: subprocess.Popen[bytes] | None = None
        self._warm_lock = threading.Lock()
        if prewarm:
            self._prepare_warm()

    # -- state ------------------------------------------------------------------------
    @property
    def active_ids(self) -> list[UUID]:
        with self._lock:
            return list(self._processes)

    def active_count(self) -> int:
        with self._lock:
            return len(self._processes)

    # -- start ------------------------------------------------------------------------
    def start(self, run: Any) -> None:
        """Hand a claimed run to the warm engine process (or start one), and watch it."""
        try:
            process = self._take_warm()
            if process is not None:
                assert process.stdin is not None
                process.stdin.write(f"{run.id}\n".encode())
                process.stdin.close()
            else:
                command = [sys.executable, "-m", "headwater.engine", str(run.id)]
                process = subprocess.Popen(command, start_new_session=True, env=dict(os.environ))
        except OSError as exc:
            self._crash(run.id, f"the {self.label} could not start the flow run process: {exc}")
            return
        finally:
            self._prepare_warm()
        with self._lock:
            self._processes[run.id] = process
        logger.info("started flow run %s (%r) as process %s", run.id, run.name, process.pid)
        watcher = threading.Thread(
            target=self._watch, args=(run.id, process), name=f"watch-{run.id}", daemon=True
        )
        watcher.start()

    def _watch(self, run_id: UUID, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        try:
            self._finished(run_id, code)
        except Exception as exc:
            logger.error("could not report the end of flow run %s: %s", run_id, exc)
        finally:
            with self._lock:
                self._processes.pop(run_id, None)
                self._cancelling.discard(run_id)
            self.slot_freed.set()

    def _finished(self, run_id: UUID, code: int) -> None:
        run = self.client.read_flow_run(run_id)
        kind = run.state.type
        if kind in _FINAL:
            logger.info("flow run %s finished %s", run_id, run.state.name)
            return
        if kind is StateType.PAUSED and run.state.name == "Suspended":
            logger.info("flow run %s suspended; it runs again once resumed", run_id)
            return
        if kind is StateType.CANCELLING or run_id in self._cancelling:
            self.client.set_flow_run_state(
                run_id,
                Cancelled(message=f"cancelled: the process {describe_exit(code)}"),
                force=True,
            )
            logger.info("flow run %s cancelled", run_id)
            return
        self._crash(
            run_id,
            f"the flow run process {describe_exit(code)} without reporting a final state "
            f"(it was {run.state.name})",
        )

    def _crash(self, run_id: UUID, message: str) -> None:
        logger.error("flow run %s crashed: %s", run_id, message)
        self.client.crash_flow_run(run_id, message)

    # -- the warm process ---------------------------------------------------------------
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

    # -- stop -------------------------------------------------------------------------
    def cancel(self, run_id: UUID) -> None:
        """SIGTERM to the run's process group; SIGKILL after the grace period."""
        with self._lock:
            process = self._processes.get(run_id)
            if process is None or run_id in self._cancelling:
                return
            self._cancelling.add(run_id)
        logger.info("cancelling flow run %s (process group %s)", run_id, process.pid)
        _signal_group(process, signal.SIGTERM)
        threading.Thread(
            target=self._kill_after_grace, args=(process,), name=f"kill-{run_id}", daemon=True
        ).start()

    def _kill_after_grace(self, process: subprocess.Popen[bytes]) -> None:
        try:
            process.wait(self.grace_seconds)
        except subprocess.TimeoutExpired:
            logger.warning("process group %s ignored SIGTERM; killing it", process.pid)
            _signal_group(process, signal.SIGKILL)

    def terminate_all(self) -> None:
        for run_id in self.active_ids:
            self.cancel(run_id)

    def wait_all(self, timeout: float | None = None) -> bool:
        """Wait for every process and its report; True if none is left."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.active_count():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            self.slot_freed.wait(0.05)
            self.slot_freed.clear()
        return True


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
