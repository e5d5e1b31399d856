"""``/api/events``: store events (``POST /events``), read them (``/events/filter``,
``/events/count``) and follow them live (``GET /events/stream``, server-sent events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from headwater.core.events import EventError, check_record
from headwater.schemas.events import EventFilter, EventFilterRequest, EventPage
from headwater.server.api.bodies import RawBody
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, model_response
from headwater.server.events import bus
from headwater.server.store import events

router = APIRouter(prefix="/events", tags=["Events"])

MAX_EVENTS = 5000
#: A comment line keeps an idle stream (and proxies in between) alive.
KEEPALIVE_SECONDS = 15.0


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """Event records from a JSON list, each checked (one clear line if one is bad)."""
    try:
        items = json.loads(body or b"[]")
    except ValueError as exc:
        raise EventError(f"the body is not JSON: {exc}") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise EventError("the body must be a list of events")
    if len(items) > MAX_EVENTS:
        raise EventError(f"at most {MAX_EVENTS} events per request")
    records = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise EventError(f"event {index} is not an object")
        try:
            records.append(check_record(item))
        except (KeyError, TypeError, ValueError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise EventError(f"event {index}: {detail}") from None
    return records


@router.post("", status_code=204, summary="Store events (idempotent by id)")
def create_events(body: RawBody, db: DatabaseDep) -> Response:
    records = parse_events(body)
    with db.begin_write() as conn:
        events.record_events(conn, records)
    return Response(status_code=204)


@router.post("/filter", response_model=EventPage, summary="Filter events (newest first)")
def read_events(db: DatabaseDep, body: EventFilterRequest | None = None) -> Response:
    query = body or EventFilterRequest()
    with db.begin_read() as conn:
        found, total = events.read_events(
            conn, event_filter=query.filter, limit=query.limit, offset=query.offset
        )
    return model_response(EventPage(events=found, total=total))


@router.post("/count", response_model=int, summary="Count events matching a filter")
def count_events(db: DatabaseDep, body: EventFilter | None = None) -> Response:
    with db.begin_read() as conn:
        return json_response(events.count_events(conn, event_filter=body or EventFilter()))


@router.get("/stream", summary="Follow new events live (text/event-stream)")
async def stream(
    request: Request,
    prefix: list[str] | None = Query(default=None, description="Only events named so."),
    resource: str | None = Query(default=None, description="Only this resource (or related)."),
) -> StreamingResponse:
    """Each committed event as one ``data:`` line of JSON, from now on."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Sequence[dict[str, Any]]] = asyncio.Queue(maxsize=1000)
    wanted = EventFilter.model_validate({"event": {"prefix": prefix}} if prefix else {}).event
    resource_id = EventFilter.model_validate(
        {"resource": {"id": [resource]}} if resource else {}
    ).resource

    def deliver(rows: Sequence[dict[str, Any]]) -> None:
        try:
            loop.call_soon_threadsafe(_offer, queue, rows)
        except RuntimeError:  # the loop is closed
            pass

    def keep(row: dict[str, Any]) -> bool:
        if (
            wanted is not None
            and wanted.prefix
            and not any(row["event"].startswith(p) for p in wanted.prefix)
        ):
            return False
        if resource_id is not None and resource_id.id:
            rid = resource_id.id[0]
            return row["resource_id"] == rid or rid in row["related_ids"]
        return True

    async def body() -> AsyncIterator[bytes]:
        unsubscribe = bus.subscribe(deliver)
        try:
            yield b": connected\n\n"
            while True:
                try:
                    rows = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keepalive\n\n"
                    continue
                for row in rows:
                    if keep(row):
                        data = json.dumps(events.event_dict(row))
                        yield f"event: event\ndata: {data}\n\n".encode()
        finally:
            unsubscribe()

    return StreamingResponse(body(), media_type="text/event-stream")


def _offer(queue: asyncio.Queue[Sequence[dict[str, Any]]], rows: Sequence[dict[str, Any]]) -> None:
    try:
        queue.put_nowait(rows)
    except asyncio.QueueFull:  # a reader that does not keep up misses events
        pass
