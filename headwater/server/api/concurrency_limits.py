"""``/api/concurrency_limits``: named limits (tag limits are ``tag:<tag>``, rate limits
have slot decay) and taking their slots (see ``server/store/concurrency_limits.py``).

``POST /acquire`` waits in the server up to ``wait_seconds`` (at most 5 s; the client
asks again with the same ticket, keeping its place): woken by a datagram the moment
slots free up, at the next lease expiry, or every few seconds.  The waiting costs no
thread."""

from __future__ import annotations

import time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from headwater.schemas.base import Schema
from headwater.schemas.concurrency import (
    MAX_SERVER_WAIT,
    ConcurrencyLimit,
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    SlotGrant,
    SlotRequest,
)
from headwater.schemas.limits import Offset
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.db.database import Database
from headwater.server.store import concurrency_limits as store
from headwater.server.store import handoff, leases
from headwater.server.wake_hub import hub

router = APIRouter(prefix="/concurrency_limits", tags=["Concurrency limits"])

Name = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f/%]+$")]


class LimitQuery(Schema):
    tags: bool | None = Field(
        default=None, description="True: only tag limits (tag:…), false: only the others."
    )
    limit: int = Field(default=200, ge=1, le=1000)
    offset: Offset = 0


class LeaveRequest(Schema):
    ticket: UUID


@router.post(
    "",
    response_model=ConcurrencyLimit,
    responses={409: {"description": "The name is taken"}},
    summary="Create a concurrency limit",
)
def create_limit(body: ConcurrencyLimitCreate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(store.create_limit(conn, limit=body))


@router.post("/filter", response_model=list[ConcurrencyLimit], summary="List concurrency limits")
def read_limits(db: DatabaseDep, body: LimitQuery | None = None) -> Response:
    query = body or LimitQuery()
    with db.begin_read() as conn:
        found = store.read_limits(conn, tags=query.tags, limit=query.limit, offset=query.offset)
    return json_response([limit.model_dump(mode="json") for limit in found])


@router.post("/acquire", response_model=SlotGrant, summary="Take slots, waiting for them")
async def acquire(body: SlotRequest, db: DatabaseDep, request: Request) -> Response:
    return model_response(await _acquire(db, body, request.app.state.lease_seconds))


@router.post("/leave", response_model=dict[str, bool], summary="Stop waiting for slots")
def leave(body: LeaveRequest, db: DatabaseDep) -> Response:
    db.write_retrying(lambda conn: leases.leave_queue(conn, ticket=body.ticket))
    return json_response({"left": True})


@router.get(
    "/{name}",
    response_model=ConcurrencyLimit,
    responses={404: {"description": "No such limit"}},
    summary="Read a concurrency limit: its slots, holders and queue",
)
def read_limit(name: Name, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(store.read_limit(conn, name=name))


@router.patch("/{name}", response_model=ConcurrencyLimit, summary="Change a concurrency limit")
def update_limit(name: Name, body: ConcurrencyLimitUpdate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(store.update_limit(conn, name=name, changes=body))


@router.delete("/{name}", response_model=dict[str, bool], summary="Delete a concurrency limit")
def delete_limit(name: Name, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        deleted = store.delete_limit(conn, name=name)
    return json_response({"deleted": deleted})


@router.post(
    "/{name}/reset", response_model=dict[str, int], summary="Give back every slot of a limit"
)
def reset_limit(name: Name, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        freed = store.reset_limit(conn, name=name)
    return json_response({"released": freed})


def _try(
    db: Database, request: SlotRequest, duration: float, address: str | None
) -> tuple[SlotGrant, float | None]:
    # PostgreSQL may pick the transaction as a deadlock victim: ask again.
    return db.write_retrying(
        lambda conn: store.acquire_slots(
            conn, request=request, default_duration=duration, wake_address=address
        )
    )


def _granted(db: Database, ticket: UUID, refused: SlotGrant, duration: float) -> SlotGrant | None:
    with db.begin_read() as conn:
        return handoff.grant_for(conn, ticket, refused, duration)


async def _acquire(db: Database, request: SlotRequest, duration: float) -> SlotGrant:
    wait = min(request.wait_seconds, MAX_SERVER_WAIT)
    if wait <= 0 or request.ticket is None:
        grant, _ = await run_in_threadpool(_try, db, request, duration, None)
        return grant
    # Queue with the wake address from the first look: a slot freed right after it
    # must find where to wake this request.
    wakes = hub()
    event = wakes.register(request.ticket)
    deadline = time.monotonic() + wait
    ask = request
    try:
        while True:
            grant, retry_at = await run_in_threadpool(_try, db, ask, duration, wakes.address)
            if ask.release:  # given back by the first ask
                ask = ask.model_copy(update={"release": []})
            left = deadline - time.monotonic()
            if grant.lease_id is not None or not grant.limits or left <= 0:
                return grant
            pause = min(left, leases.WAITER_REFRESH)
            if retry_at is not None:
                pause = min(pause, max(0.0, retry_at - time.time()) + 0.001)
            if await wakes.wait(event, pause):
                # Woken: a release may have handed this waiter its slots already (its
                # datagram says so: no look-up).
                if wakes.was_granted(request.ticket):
                    return handoff.handed(request.ticket, grant, request.lease_duration or duration)
                held = await run_in_threadpool(_granted, db, request.ticket, grant, duration)
                if held is not None:
                    return held
    finally:
        wakes.unregister(request.ticket)
