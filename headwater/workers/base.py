"""What every worker type shares: the runs it is running, watching each one to its
end, reporting runs that end without a final state (Crashed) or on cancellation
(Cancelled), and stopping them (a graceful stop, then a kill after
``HEADWATER_CANCEL_GRACE_SECONDS``).

A worker type (``process``, ``docker``, ``kubernetes``, or a package's own, registered
in the entry point group ``headwater.workers``) subclasses ``WorkerType`` and gives:

- ``type``, ``variables`` (the job variables' JSON schema) and ``job_configuration``
  (with ``{{ placeholders }}``): together the default base job template of its pools;
- ``launch(run, job)``: start the infrastructure of one run, return a handle;
- ``wait(handle)``: block until it ends, return its exit code;
- ``stop(handle)`` / ``kill(handle)``: ask it to end / end it now;
- ``find_running()``: its infrastructure still running after a worker restart
  (found by labels), so the new worker watches it instead of losing it;
- ``last_output(handle)``: a few last lines of output, for a Crashed message.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import signal
import threading
import time
from typing import Any, ClassVar
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
    if code > 128 and code - 128 < 65:  # containers report a signal as 128 + n
        try:
            return f"exited with code {code} (signal {signal.Signals(code - 128).name})"
        except ValueError:
            pass
    return f"exited with code {code}"


def _is_suspended(state: Any) -> bool:
    return bool(state.type is StateType.PAUSED and state.name == "Suspended")


def _state_time(run: Any) -> dt.datetime | None:
    """When the run's current state began (for a claimed run: its claim)."""
    return getattr(getattr(run, "state", None), "timestamp", None)


class WorkerType:
    """The infrastructure of one worker's runs (see the module's docstring)."""

    type: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: What a run is called in messages ("process", "container", "job").
    noun: ClassVar[str] = "infrastructure"
    #: JSON schema of the job variables (``properties`` with defaults).
    variables: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    #: The job configuration, with ``{{ variable }}`` placeholders.
    job_configuration: ClassVar[dict[str, Any]] = {}

    @classmethod
    def default_base_job_template(cls) -> dict[str, Any]:
        return {
            "job_configuration": copy.deepcopy(cls.job_configuration),
            "variables": copy.deepcopy(cls.variables),
        }

    def __init__(
        self,
        client: Any,
        *,
        grace_seconds: float,
        label: str = "worker",
        pool_name: str | None = None,
        worker_name: str | None = None,
        base_job_template: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.grace_seconds = grace_seconds
        self.label = label
        self.pool_name = pool_name
        self.worker_name = worker_name
        self.base_job_template = base_job_template or self.default_base_job_template()
        self._handles: dict[UUID, Any] = {}
        self._ended: dict[UUID, threading.Event] = {}
        self._cancelling: set[UUID] = set()
        self._lock = threading.Lock()
        self.slot_freed = threading.Event()

    # -- what a type gives ---------------------------------------------------------------
    def launch(self, run: Any, job: dict[str, Any]) -> Any:
        raise NotImplementedError

    def wait(self, handle: Any) -> int:
        raise NotImplementedError

    def stop(self, handle: Any) -> None:
        raise NotImplementedError

    def kill(self, handle: Any) -> None:
        raise NotImplementedError

    def find_running(self) -> dict[UUID, Any]:
        return {}

    def last_output(self, handle: Any) -> str:
        return ""

    def describe(self, handle: Any) -> str:
        return str(handle)

    def close(self) -> None:
        """Let go of what the type holds (connections, a warm process)."""

    # -- state ---------------------------------------------------------------------------
    @property
    def active_ids(self) -> list[UUID]:
        with self._lock:
            return list(self._handles)

    def active_count(self) -> int:
        with self._lock:
            return len(self._handles)

    # -- start and watch -----------------------------------------------------------------
    def job_for(self, run: Any) -> dict[str, Any]:
        """The run's job configuration: the pool's template filled with its deployment's
        job variables."""
        from headwater.workers.templates import job_for, unknown_variables

        job_variables: dict[str, Any] = {}
        # serve() runs (no pool) take no job variables, as in Prefect
        if self.pool_name is not None and getattr(run, "deployment_id", None) is not None:
            job_variables = dict(self.client.read_deployment(run.deployment_id).job_variables)
        ignored = unknown_variables(self.base_job_template, job_variables)
        if ignored:
            logger.warning(
                "flow run %s: job variable(s) %s are not in the pool's base job template; ignored",
                run.id,
                ", ".join(ignored),
            )
        return job_for(self.base_job_template, job_variables)

    def start(self, run: Any) -> None:
        """Start a claimed run's infrastructure and watch it in a thread."""
        from headwater.exceptions import HeadwaterError

        try:
            handle = self.launch(run, self.job_for(run))
        except (OSError, HeadwaterError) as exc:
            self._crash(run.id, f"the {self.label} could not start the flow run: {exc}")
            self.slot_freed.set()
            return
        logger.info("started flow run %s (%r) as %s", run.id, run.name, self.describe(handle))
        self._watch_in_thread(run.id, handle, _state_time(run))

    def reattach(self) -> int:
        """Watch the runs this type finds still running (after a worker restart)."""
        found = self.find_running()
        for run_id, handle in found.items():
            if run_id in self.active_ids:
                continue
            logger.info("re-attached to flow run %s (%s)", run_id, self.describe(handle))
            try:
                since = _state_time(self.client.read_flow_run(run_id))
            except Exception as exc:  # the run is checked again when its process ends
                logger.warning("could not read flow run %s: %s", run_id, exc)
                since = None
            self._watch_in_thread(run_id, handle, since)
        return len(found)

    def _watch_in_thread(self, run_id: UUID, handle: Any, since: dt.datetime | None) -> None:
        ended = threading.Event()
        with self._lock:
            self._handles[run_id] = handle
            self._ended[run_id] = ended
        threading.Thread(
            target=self._watch,
            args=(run_id, handle, since, ended),
            name=f"watch-{run_id}",
            daemon=True,
        ).start()

    def _watch(
        self, run_id: UUID, handle: Any, since: dt.datetime | None, ended: threading.Event
    ) -> None:
        try:
            code = self.wait(handle)
            self._finished(run_id, code, handle, since)
        except Exception as exc:
            logger.error("could not report the end of flow run %s: %s", run_id, exc)
        finally:
            with self._lock:
                # The run may have been claimed again (resumed after a suspension)
                # while this process was ending: leave the new attempt's entries alone.
                if self._ended.get(run_id) is ended:
                    self._handles.pop(run_id, None)
                    self._cancelling.discard(run_id)
                    del self._ended[run_id]
            ended.set()
            self.slot_freed.set()

    def _finished(
        self, run_id: UUID, code: int, handle: Any, since: dt.datetime | None = None
    ) -> None:
        run = self.client.read_flow_run(run_id)
        kind = run.state.type
        if kind in _FINAL:
            logger.info("flow run %s finished %s", run_id, run.state.name)
            return
        if _is_suspended(run.state):
            logger.info("flow run %s suspended; it runs again once resumed", run_id)
            return
        ended = self._attempt_ended(run_id, since)
        if ended is not None:
            logger.info(
                "flow run %s: the attempt this %s ran ended %s; the run is %s now, not crashing it",
                run_id,
                self.noun,
                ended,
                run.state.name,
            )
            return
        if kind is StateType.CANCELLING or run_id in self._cancelling:
            self.client.set_flow_run_state(
                run_id,
                Cancelled(message=f"cancelled: the {self.noun} {describe_exit(code)}"),
                force=True,
            )
            logger.info("flow run %s cancelled", run_id)
            return
        message = (
            f"the flow run {self.noun} {describe_exit(code)} without reporting a final state "
            f"(it was {run.state.name})"
        )
        tail = self.last_output(handle).strip()
        if tail:
            message += f"; its last output:\n{tail}"
        self._crash(run_id, message, since)

    def _attempt_ended(self, run_id: UUID, since: dt.datetime | None) -> str | None:
        """The state that ended the attempt launched at ``since`` (its claim) if the run
        went on without it (Suspended, or finished, then resumed or retried): that run
        belongs to a later attempt, which this process's end says nothing about."""
        if since is None:
            return None
        for state in self.client.read_flow_run_states(run_id):
            if state.timestamp is None or state.timestamp < since:
                continue
            if state.type in _FINAL or _is_suspended(state):
                return state.name
        return None

    def _crash(self, run_id: UUID, message: str, since: dt.datetime | None = None) -> None:
        # The store decides in one transaction (a resume racing this report is seen).
        state = self.client.crash_flow_run(run_id, message, attempt_since=since)
        if state.type is StateType.CRASHED or state.name == "AwaitingRetry":
            logger.error("flow run %s crashed: %s", run_id, message)
        else:
            logger.info(
                "flow run %s: the attempt this %s ran is over; the run is %s now, not crashing it",
                run_id,
                self.noun,
                state.name,
            )

    # -- stop ----------------------------------------------------------------------------
    def cancel(self, run_id: UUID) -> None:
        """Stop the run's infrastructure; kill it after the grace period."""
        with self._lock:
            handle = self._handles.get(run_id)
            ended = self._ended.get(run_id)
            if handle is None or ended is None or run_id in self._cancelling:
                return
            self._cancelling.add(run_id)
        logger.info("cancelling flow run %s (%s)", run_id, self.describe(handle))
        threading.Thread(
            target=self._stop_then_kill, args=(handle, ended), name=f"kill-{run_id}", daemon=True
        ).start()

    def _stop_then_kill(self, handle: Any, ended: threading.Event) -> None:
        try:
            self.stop(handle)
        except Exception as exc:
            logger.warning("could not stop %s: %s", self.describe(handle), exc)
        if not ended.wait(self.grace_seconds):
            logger.warning("%s did not stop in time; killing it", self.describe(handle))
            try:
                self.kill(handle)
            except Exception as exc:
                logger.warning("could not kill %s: %s", self.describe(handle), exc)

    def terminate_all(self) -> None:
        for run_id in self.active_ids:
            self.cancel(run_id)

    def wait_all(self, timeout: float | None = None) -> bool:
        """Wait for every run's end and its report; True if none is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.active_count():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            self.slot_freed.wait(0.05)
            self.slot_freed.clear()
        return True
