"""The loop shared by workers and serve processes: claim due runs (long-poll), start
them, stop the ones asked to cancel, respect the concurrency ``limit``."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any
from uuid import UUID

from headwater.utilities.stop_signals import stop_on_signals
from headwater.workers.base import WorkerType

logger = logging.getLogger("headwater.worker")

#: Runs claimed per request when no limit is set.
DEFAULT_BATCH = 10


class PollingLoop:
    """Claims runs for ``runner`` (a worker type's instance), which starts, watches and
    stops them."""

    def __init__(
        self,
        client: Any,
        runner: WorkerType,
        *,
        name: str,
        pool_name: str | None = None,
        work_queue_names: list[str] | None = None,
        deployment_ids: list[UUID] | None = None,
        limit: int | None = None,
        poll_seconds: float,
        heartbeat_seconds: float,
    ) -> None:
        self.client = client
        self.name = name
        self.pool_name = pool_name
        self.work_queue_names = work_queue_names or None
        self.deployment_ids = deployment_ids
        self.limit = limit
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.runner = runner
        self.stopping = threading.Event()
        self.started = 0

    def _request(self, limit: int, wait: float) -> Any:
        from headwater.schemas.work_pools import ClaimRequest

        return ClaimRequest(
            worker_name=self.name,
            work_queue_names=self.work_queue_names,
            deployment_ids=self.deployment_ids,
            limit=limit,
            wait_seconds=wait,
            watched_ids=self.runner.active_ids,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            heartbeat_seconds=self.heartbeat_seconds,
        )

    def poll(self, wait: float) -> int:
        """One claim request; the number of runs started."""
        free = DEFAULT_BATCH
        if self.limit is not None:
            free = max(0, self.limit - self.runner.active_count())
        result = self.client.claim_flow_runs(
            self._request(free, wait if free else 0.0), pool_name=self.pool_name
        )
        for run_id in result.cancelling:
            self.runner.cancel(run_id)
        for run in result.flow_runs:
            self.runner.start(run)
        self.started += len(result.flow_runs)
        if not free:  # at the limit: wait for a slot (cancellations are checked each second)
            self.runner.slot_freed.wait(min(1.0, wait))
            self.runner.slot_freed.clear()
        return len(result.flow_runs)

    def run(self, *, run_once: bool = False) -> None:
        """Poll until stopped (SIGINT/SIGTERM), or once with ``run_once``; then wait for
        the started runs to finish (a second signal cancels them)."""
        with stop_on_signals(self.stop, logger, "no new runs; waiting for the running ones"):
            try:
                self.runner.reattach()
                if run_once:
                    self._safe_poll(0.0)
                else:
                    while not self.stopping.is_set():
                        self._safe_poll(self.poll_seconds)
                self.runner.wait_all()
            finally:
                self.runner.close()

    def _safe_poll(self, wait: float) -> None:
        from headwater.exceptions import ObjectNotFound, ServerUnavailable

        try:
            self.poll(wait)
        except ObjectNotFound:
            raise  # the pool was deleted: nothing left to do
        except ServerUnavailable as exc:
            logger.warning("%s; trying again", exc)
            self.stopping.wait(min(self.poll_seconds, 5.0))

    def stop(self) -> None:
        if self.stopping.is_set():
            logger.warning(
                "stopping now: cancelling %d running flow run(s)", self.runner.active_count()
            )
            self.runner.terminate_all()
        self.stopping.set()
