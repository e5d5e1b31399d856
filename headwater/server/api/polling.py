"""The long-poll behind ``get_scheduled_flow_runs``: look for work, and when there is
none wait for a notification (or ``RECHECK_SECONDS``) and look again, until
``wait_seconds`` have passed.  The looks run in the thread pool; the waiting costs
no thread."""

from __future__ import annotations

import time

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from headwater.schemas.work_pools import ClaimRequest
from headwater.server.api.responses import model_response
from headwater.server.db.database import Database
from headwater.server.notify import RECHECK_SECONDS, work_notifier
from headwater.server.store.claims import poll_once


async def long_poll(db: Database, body: ClaimRequest, *, pool_name: str | None) -> Response:
    deadline = time.monotonic() + body.wait_seconds
    first = True
    while True:
        snapshot = work_notifier.snapshot()
        result = await run_in_threadpool(
            poll_once, db, request=body, pool_name=pool_name, heartbeat=first
        )
        first = False
        left = deadline - time.monotonic()
        if result.flow_runs or result.cancelling or left <= 0:
            return model_response(result)
        await work_notifier.wait(snapshot, min(RECHECK_SECONDS, left))
