"""Long-polls: look for work, and when there is none wait for a notification (or
``RECHECK_SECONDS``) and look again, until ``wait_seconds`` have passed.  The looks
run in the thread pool; the waiting costs no thread.  Behind
``get_scheduled_flow_runs`` (workers, serve processes) and ``task_runs/claim`` (task
workers)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from headwater.schemas.task_queue import TaskClaimRequest
from headwater.schemas.work_pools import ClaimRequest
from headwater.server.api.responses import model_response
from headwater.server.db.database import Database
from headwater.server.notify import RECHECK_SECONDS, work_notifier
from headwater.server.store.claims import poll_once
from headwater.server.store.task_queue import poll_task_runs


async def _wait_for_work(
    look: Callable[[bool, bool], Any], found: Callable[[Any], bool], wait_seconds: float
) -> Response:
    """``look(first, woken)`` until ``found`` its result or the time is up (the first
    look heartbeats; ``woken``: a notification came since the last look)."""
    deadline = time.monotonic() + wait_seconds
    first = True
    woken = False
    while True:
        snapshot = work_notifier.snapshot()
        result = await run_in_threadpool(look, first, woken)
        first = False
        left = deadline - time.monotonic()
        if found(result) or left <= 0:
            return model_response(result)
        woken = await work_notifier.wait(snapshot, min(RECHECK_SECONDS, left))


async def long_poll(db: Database, body: ClaimRequest, *, pool_name: str | None) -> Response:
    return await _wait_for_work(
        lambda first, _: poll_once(db, request=body, pool_name=pool_name, heartbeat=first),
        lambda result: bool(result.flow_runs or result.cancelling),
        body.wait_seconds,
    )


async def long_poll_tasks(db: Database, body: TaskClaimRequest) -> Response:
    return await _wait_for_work(
        lambda first, woken: poll_task_runs(db, request=body, heartbeat=first, woken=woken),
        lambda result: bool(result.task_runs),
        body.wait_seconds,
    )
