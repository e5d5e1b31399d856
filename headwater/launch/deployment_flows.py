"""What ``python -m headwater.engine RUN_ID`` adds for a deployment's run: heartbeats
while it runs, the deployment's pull steps, and its entrypoint loaded from where the
steps left the process.  A failing step or entrypoint ends the run Crashed, with the
error in its state message and its logs."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any
from uuid import UUID

from headwater.utilities.ids import new_id

logger = logging.getLogger("headwater.engine")


class Heartbeat:
    """A daemon thread telling the store every ``interval`` seconds that this process
    is running the flow run.  When the answer is CANCELLING (the run was cancelled and
    no worker stopped it yet), the process sends itself SIGTERM: the flow engine turns
    that into a Cancelled run.  A run Suspended from outside (an automation's
    ``suspend-flow-run``) is stopped the same way, and the engine ends it Suspended."""

    def __init__(self, client: Any, flow_run_id: UUID, interval: float) -> None:
        self.client = client
        self.flow_run_id = flow_run_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="headwater-heartbeat", daemon=True)
        self._signalled = False
        self._suspended_beats = 0

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def beat(self) -> None:
        try:
            kind = self.client.heartbeat_flow_run(self.flow_run_id, pid=str(os.getpid()))
        except Exception as exc:  # the server may be restarting: try again next beat
            logger.debug("heartbeat of flow run %s failed: %s", self.flow_run_id, exc)
            return
        if kind == "CANCELLING" and not self._signalled:
            self._signalled = True
            os.kill(os.getpid(), signal.SIGTERM)
        elif kind == "PAUSED" and not self._signalled and self._suspended_again():
            self._signalled = True  # suspended from outside: the engine ends it Suspended
            os.kill(os.getpid(), signal.SIGTERM)

    def _suspended_again(self) -> bool:
        """Whether the run has been Suspended at two beats in a row: a run that
        suspends itself (``suspend_flow_run``) ends its process well before the
        second, one suspended from outside (an automation) keeps running."""
        try:
            state = self.client.read_flow_run(self.flow_run_id).state
        except Exception:
            return False
        if state is None or state.name != "Suspended":
            self._suspended_beats = 0
            return False
        self._suspended_beats += 1
        return self._suspended_beats >= 2

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def stop(self) -> None:
        self._stop.set()


def run_log(client: Any, flow_run_id: UUID, level: int, message: str) -> None:
    """A line in the run's logs (and on this process's stderr)."""
    logger.log(level, message)
    try:
        client.create_logs(
            [
                {
                    "id": new_id(),
                    "flow_run_id": flow_run_id,
                    "task_run_id": None,
                    "name": "headwater.engine",
                    "level": level,
                    "message": message,
                    "timestamp": time.time(),
                }
            ]
        )
    except Exception as exc:
        logger.warning("could not store a log line of flow run %s: %s", flow_run_id, exc)


def load_deployment_flow(client: Any, run: Any) -> Any:
    """Run the deployment's pull steps, then load its entrypoint; the flow.

    Raises ``UserInputError`` (a step or the entrypoint failed) after logging it."""
    from headwater.deployments.steps import run_pull_steps
    from headwater.flows import load_flow

    deployment = client.read_deployment(run.deployment_id)
    entrypoint = deployment.entrypoint or run.entrypoint
    env = (deployment.job_variables or {}).get("env")
    if isinstance(env, dict):  # job_variables={"env": {...}}: the run's environment
        os.environ.update({str(key): str(value) for key, value in env.items()})

    def log(message: str) -> None:
        run_log(client, run.id, logging.INFO, message)

    if deployment.pull_steps:
        run_pull_steps(deployment.pull_steps, log=log)
    return load_flow(entrypoint)
