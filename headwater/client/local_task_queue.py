"""Background task runs on the embedded store (see ``server/store/task_queue.py``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.core.wake import WakeSocket
    from headwater.schemas.task_queue import TaskClaimRequest, TaskClaimResult, TaskRunSubmit
    from headwater.server.db.database import Database

#: A long-polling task worker looks again at least this often (claims that expired,
#: runs scheduled for later) even when no submission wakes it.
RECHECK_SECONDS = 0.5


class LocalTaskQueueMixin:
    db: Database
    _task_wakes: dict[str, WakeSocket]

    def submit_task_runs(self, runs: list[TaskRunSubmit]) -> None:
        from headwater.server.store import task_queue

        with self.db.begin_write() as conn:
            task_queue.submit_task_runs(conn, runs=runs)

    def claim_task_runs(self, request: TaskClaimRequest) -> TaskClaimResult:
        """Claim due runs; with ``wait_seconds``, wait on this worker's wake socket (a
        submission of one of its tasks sends it a datagram) until one is there."""
        from headwater.server.store.task_queue import poll_task_runs

        # A worker that waits gets a wake socket (kept until it is removed or the
        # client closes); one that never waits is not woken.
        wakes = self._wakes()
        sock = wakes.get(request.worker_name)
        if sock is None and request.wait_seconds > 0:
            from headwater.core.wake import WakeSocket

            sock = wakes[request.worker_name] = WakeSocket()
        address = sock.address if sock is not None else None
        deadline = time.monotonic() + request.wait_seconds
        first = True
        woken = False
        while True:
            result = poll_task_runs(
                self.db, request=request, heartbeat=first, wake_address=address, woken=woken
            )
            first = False
            left = deadline - time.monotonic()
            if result.task_runs or left <= 0 or sock is None:
                return result
            woken = sock.wait(min(RECHECK_SECONDS, left))

    def remove_task_worker(self, name: str) -> None:
        from headwater.server.store import task_queue

        with self.db.begin_write() as conn:
            task_queue.forget_worker(conn, name=name)
        sock = self._wakes().pop(name, None)
        if sock is not None:
            sock.close()

    def _wakes(self) -> dict[str, WakeSocket]:
        try:
            return self._task_wakes
        except AttributeError:
            self._task_wakes = {}
            return self._task_wakes

    def _close_task_wakes(self) -> None:
        wakes = self._wakes()
        while wakes:
            wakes.popitem()[1].close()
