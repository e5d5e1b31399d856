"""Incoming webhooks: a name, a template and a random slug (the URL's secret part)."""

from __future__ import annotations

import secrets
import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, select, update

from headwater.exceptions import ObjectAlreadyExists, WebhookNotFound
from headwater.schemas.webhooks import Webhook, WebhookCreate, WebhookUpdate
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import webhooks
from headwater.utilities.ids import new_id


def new_slug() -> str:
    """128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def _read(row: Any) -> Webhook:
    return Webhook.model_validate(dict(row._mapping))


def _name_taken(conn: Connection, name: str, but: UUID | None = None) -> None:
    query = select(webhooks.c.id).where(webhooks.c.name == name)
    if but is not None:
        query = query.where(webhooks.c.id != but)
    if conn.execute(query).first() is not None:
        raise ObjectAlreadyExists(f"a webhook named {name!r} exists")


def create_webhook(conn: Connection, *, webhook: WebhookCreate) -> Webhook:
    _name_taken(conn, webhook.name)
    now = time.time()
    webhook_id = new_id()
    stmt = insert_for(conn, webhooks).values(
        id=webhook_id, slug=new_slug(), created=now, updated=now, **webhook.model_dump(mode="json")
    )
    if not conn.execute(stmt.on_conflict_do_nothing()).rowcount:  # a concurrent create
        raise ObjectAlreadyExists(f"a webhook named {webhook.name!r} exists")
    return read_webhook(conn, webhook_id=webhook_id)


def read_webhook(conn: Connection, *, webhook_id: UUID) -> Webhook:
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
    if row is None:
        raise WebhookNotFound(f"webhook {webhook_id} not found")
    return _read(row)


def read_webhooks(
    conn: Connection, *, name: str | None = None, limit: int = 200, offset: int = 0
) -> list[Webhook]:
    query = select(webhooks).order_by(webhooks.c.name)
    if name is not None:
        query = query.where(webhooks.c.name == name)
    return [_read(row) for row in conn.execute(query.limit(limit).offset(offset))]


def webhook_by_slug(conn: Connection, *, slug: str) -> Webhook:
    """The enabled webhook of ``slug``; ``WebhookNotFound`` for an unknown or disabled one."""
    row = conn.execute(
        select(webhooks).where(webhooks.c.slug == slug, webhooks.c.enabled.is_(True))
    ).first()
    if row is None:
        raise WebhookNotFound("no such webhook")
    return _read(row)


def update_webhook(conn: Connection, *, webhook_id: UUID, changes: WebhookUpdate) -> Webhook:
    read_webhook(conn, webhook_id=webhook_id)
    values = changes.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "name" in values:
        _name_taken(conn, values["name"], but=webhook_id)
    if values:
        conn.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id)
            .values(updated=time.time(), **values)
        )
    return read_webhook(conn, webhook_id=webhook_id)


def rotate_slug(conn: Connection, *, webhook_id: UUID) -> Webhook:
    """A new slug: the old URL stops working."""
    read_webhook(conn, webhook_id=webhook_id)
    conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id)
        .values(slug=new_slug(), updated=time.time())
    )
    return read_webhook(conn, webhook_id=webhook_id)


def delete_webhook(conn: Connection, *, webhook_id: UUID) -> None:
    if not conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount:
        raise WebhookNotFound(f"webhook {webhook_id} not found")
