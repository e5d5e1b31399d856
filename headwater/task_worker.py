"""Task workers: run the background task runs that ``Task.delay`` submits.

``serve(task_a, task_b, limit=10)`` (or ``headwater task serve module:task …``) claims
submitted runs of those tasks from the store or server (each run goes to one worker:
see ``server/store/task_queue.py``), runs each with the normal task engine in a pool
of ``limit`` threads (retries, timeouts, caching, hooks, logs; results are always
persisted so the submitter's ``.result()`` can read them) and records its states.

An idle worker long-polls: the store wakes it when one of its tasks is submitted (a
datagram on the embedded store, the server's work notification over HTTP).  Each
poll renews the claims of the runs it holds; a worker that dies stops renewing, and
another worker takes its runs again once their claims expire
(``HEADWATER_ZOMBIE_AFTER_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.exceptions import UserInputError
from headwater.utilities.stop_signals import stop_on_signals

if TYPE_CHECKING:
    from headwater.client.protocol import Client
    from headwater.engine.background import BackgroundResults
    from headwater.schemas.task_queue import ClaimedTaskRun
    from headwater.tasks import Task

logger = logging.getLogger("headwater.task_worker")

#: Prefect's default for ``serve(limit=)``.
DEFAULT_LIMIT = 10
#: A long-poll waits at most this long (below the HTTP client's 30 s timeout).
_MAX_WAIT = 25.0


class TaskWorker:
    """Claims and runs the background runs of ``tasks`` (see the module doc)."""

    def __init__(
        self,
        *tasks: Task[Any, Any],
        limit: int | None = DEFAULT_LIMIT,
        name: str | None = None,
        client: Client | None = None,
    ) -> None:
        if not tasks:
            raise UserInputError("a task worker needs at least one task to serve")
        self.tasks: dict[str, Task[Any, Any]] = {}
        for task in tasks:
            if not isinstance(getattr(task, "task_key", None), str) or not hasattr(task, "binder"):
                raise UserInputError(f"serve() takes @task functions; got {task!r}")
            other = self.tasks.setdefault(task.task_key, task)
            if other is not task and other.fn is not task.fn:
                raise UserInputError(f"two different tasks share the key {task.task_key!r}")
        if limit is not None and (isinstance(limit, bool) or not 1 <= int(limit) <= 1000):
            raise UserInputError(f"limit must be between 1 and 1000; got {limit!r}")
        self.limit = int(limit) if limit is not None else 1000
        host = socket.gethostname()
        self.name = (name or f"task-worker-{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}")[:200]
        self._client = client
        self.stopping = threading.Event()
        self.slot_freed = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[UUID, str] = {}
        self.started = 0
        self._results: BackgroundResults | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from headwater.client.backend import get_backend

            self._client = get_backend().client
        return self._client

    def active_ids(self) -> list[UUID]:
        with self._lock:
            return list(self._active)

    # -- the loop ------------------------------------------------------------------
    def run(self, timeout: float | None = None) -> None:
        """Claim and run until stopped (SIGINT/SIGTERM in the main thread, ``stop``, or
        after ``timeout`` seconds); then wait for the running task runs and write their
        records."""
        import time

        from headwater.client.backend import get_backend
        from headwater.engine.background import BackgroundResults
        from headwater.logging.configuration import setup_logging
        from headwater.settings import get_settings

        settings = get_settings()
        setup_logging(settings)
        self._results = BackgroundResults()
        lease = settings.zombie_after_seconds
        # Claims are renewed by polls: poll well within a claim's lifetime (and within
        # the HTTP client's timeout).
        wait = max(0.05, min(settings.worker_poll_seconds, lease / 3, _MAX_WAIT))
        until = None if timeout is None else time.monotonic() + timeout
        names = ", ".join(sorted(t.name for t in self.tasks.values()))
        logger.info("task worker %s serving %s (limit %d)", self.name, names, self.limit)
        pool = ThreadPoolExecutor(self.limit, thread_name_prefix="headwater-task")
        try:
            with stop_on_signals(self.stop, logger, "finishing the running task runs"):
                while not self.stopping.is_set():
                    left = wait if until is None else max(0.0, until - time.monotonic())
                    self._safe_poll(min(wait, left), lease, pool)  # at least one look
                    if until is not None and time.monotonic() >= until:
                        break
        finally:
            pool.shutdown(wait=True)
            get_backend().writer.flush()
            try:
                self.client.remove_task_worker(self.name)
            except Exception as exc:  # the server is gone: it forgets the worker anyway
                logger.debug("could not deregister task worker: %s", exc)
            logger.info("task worker %s stopped after %d run(s)", self.name, self.started)

    def _safe_poll(self, wait: float, lease: float, pool: ThreadPoolExecutor) -> None:
        from headwater.exceptions import ServerUnavailable

        try:
            self.poll(wait, lease, pool)
        except ServerUnavailable as exc:
            logger.warning("%s; trying again", exc)
            self.stopping.wait(min(wait, 5.0))

    def poll(self, wait: float, lease: float, pool: ThreadPoolExecutor) -> int:
        """One claim request (renewing the claims held); the number of runs started."""
        from headwater.schemas.task_queue import TaskClaimRequest

        watched = self.active_ids()
        free = max(0, self.limit - len(watched))
        request = TaskClaimRequest(
            worker_name=self.name,
            task_keys=list(self.tasks),
            limit=free,
            wait_seconds=wait if free else 0.0,
            watched_ids=watched,
            lease_seconds=lease,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
        )
        result = self.client.claim_task_runs(request)
        for claimed in result.task_runs:
            with self._lock:
                self._active[claimed.id] = claimed.name
            self.started += 1
            pool.submit(self._execute, claimed)
        if not free:  # at the limit: wait for a slot, renewing claims every second
            self.slot_freed.wait(min(1.0, wait))
            self.slot_freed.clear()
        return len(result.task_runs)

    def _execute(self, claimed: ClaimedTaskRun) -> None:
        from headwater.engine.background import run_claimed

        task = self.tasks[claimed.task_key]
        if claimed.recovered_from:
            logger.warning(
                "task run %s: taken over from task worker %s, whose claim expired",
                claimed.name,
                claimed.recovered_from,
            )
        assert self._results is not None
        try:
            run_claimed(
                task,
                task_run_id=claimed.id,
                dynamic_key=claimed.dynamic_key,
                name=claimed.name,
                tags=claimed.tags,
                parameters=claimed.parameters,
                results=self._results,
            )
        except BaseException as exc:  # recorded Crashed by the engine; keep serving
            logger.error("task run %s crashed: %r", claimed.name, exc)
        finally:
            with self._lock:
                self._active.pop(claimed.id, None)
            self.slot_freed.set()

    def stop(self) -> None:
        self.stopping.set()


def serve(
    *tasks: Task[Any, Any], limit: int | None = DEFAULT_LIMIT, timeout: float | None = None
) -> None:
    """Run a task worker for ``tasks`` in this process until stopped (Ctrl-C) or for
    ``timeout`` seconds: it runs their submitted runs (``task.delay(...)``), at most
    ``limit`` at a time (None: up to 1,000)."""
    TaskWorker(*tasks, limit=limit).run(timeout=timeout)
