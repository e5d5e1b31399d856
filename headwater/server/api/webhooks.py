"""``/api/webhooks``: create, read, change, rotate and delete incoming webhooks, and
``/api/hooks/{slug}``, the endpoint other systems call (no API key: the slug is the
secret).  A call renders the webhook's template to an event and stores it (204); an
unknown or disabled slug is 404, a template that cannot make an event 400."""

from __future__ import annotations

import re
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.schemas.limits import Name, Offset
from headwater.schemas.webhooks import Webhook, WebhookCreate, WebhookUpdate
from headwater.server.api.bodies import RawBody
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import list_response, model_response
from headwater.server.store import webhooks

router = APIRouter(prefix="/webhooks", tags=["Webhooks"])
#: What ``store.webhooks.new_slug`` makes (anything else is answered 404 unread).
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,64}")
hooks_router = APIRouter(prefix="/hooks", tags=["Webhooks"])


class WebhookFilter(Schema):
    name: Name | None = None
    limit: int = Field(default=200, ge=1, le=10_000)
    offset: Offset = 0


@router.post("/", response_model=Webhook, status_code=201, summary="Create a webhook")
def create(body: WebhookCreate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(webhooks.create_webhook(conn, webhook=body), status_code=201)


@router.post("/filter", response_model=list[Webhook], summary="List webhooks")
def read_many(db: DatabaseDep, body: WebhookFilter | None = None) -> Response:
    flt = body or WebhookFilter()
    with db.begin_read() as conn:
        found = webhooks.read_webhooks(conn, name=flt.name, limit=flt.limit, offset=flt.offset)
    return list_response(found, Webhook)


@router.get("/{webhook_id}", response_model=Webhook, summary="Read a webhook")
def read_one(webhook_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        return model_response(webhooks.read_webhook(conn, webhook_id=webhook_id))


@router.patch("/{webhook_id}", response_model=Webhook, summary="Change, enable or disable")
def patch(webhook_id: UUID, body: WebhookUpdate, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(webhooks.update_webhook(conn, webhook_id=webhook_id, changes=body))


@router.post("/{webhook_id}/rotate", response_model=Webhook, summary="Give it a new URL")
def rotate(webhook_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        return model_response(webhooks.rotate_slug(conn, webhook_id=webhook_id))


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook")
def delete(webhook_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        webhooks.delete_webhook(conn, webhook_id=webhook_id)
    return Response(status_code=204)


@hooks_router.api_route(
    "/{slug}",
    methods=["POST", "PUT", "PATCH", "GET"],
    status_code=204,
    summary="Call an incoming webhook: the request becomes an event",
)
def call_hook(slug: str, request: Request, body: RawBody, db: DatabaseDep) -> Response:
    from headwater.exceptions import WebhookNotFound
    from headwater.server.events.hooks import HookError, render_event, request_context
    from headwater.server.store.events import record_events

    try:
        if not _SLUG.fullmatch(slug):
            raise WebhookNotFound("not a slug")
        with db.begin_read() as conn:
            hook = webhooks.webhook_by_slug(conn, slug=slug)
    except WebhookNotFound:
        return JSONResponse({"detail": "no such webhook"}, status_code=404)
    context = request_context(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        query=request.url.query,
        body=body,
    )
    try:
        event = render_event(hook, context)
    except HookError as exc:
        return JSONResponse({"detail": f"webhook {hook.name!r}: {exc}"}, status_code=400)
    with db.begin_write() as conn:
        record_events(conn, [event])
    return Response(status_code=204, headers={"X-Headwater-Event-Id": str(event["id"])})
