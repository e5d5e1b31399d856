"""``LocalClient``'s SLAs and incoming webhooks (kept on the embedded store; a server
on the same store evaluates the SLAs and answers the hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.slas import Sla, SlaCreate
    from headwater.schemas.webhooks import Webhook, WebhookCreate, WebhookUpdate
    from headwater.server.db.database import Database


class LocalHooksMixin:
    db: Database

    # -- SLAs ---------------------------------------------------------------------------
    def read_deployment_slas(self, deployment_id: UUID) -> list[Sla]:
        from headwater.server.store import slas

        with self.db.begin_read() as conn:
            return slas.read_slas(conn, deployment_id=deployment_id)

    def create_deployment_sla(self, deployment_id: UUID, sla: SlaCreate) -> Sla:
        from headwater.schemas.slas import SlaCreate
        from headwater.server.store import slas

        body = SlaCreate.model_validate(sla.model_dump())
        with self.db.begin_write() as conn:
            return slas.create_sla(conn, deployment_id=deployment_id, sla=body)

    def delete_deployment_sla(self, deployment_id: UUID, sla_id: UUID) -> None:
        from headwater.server.store import slas

        with self.db.begin_write() as conn:
            slas.delete_sla(conn, deployment_id=deployment_id, sla_id=sla_id)

    # -- webhooks -----------------------------------------------------------------------
    def create_webhook(self, webhook: WebhookCreate) -> Webhook:
        from headwater.server.store import webhooks

        with self.db.begin_write() as conn:
            return webhooks.create_webhook(conn, webhook=webhook)

    def read_webhook(self, webhook_id: UUID) -> Webhook:
        from headwater.server.store import webhooks

        with self.db.begin_read() as conn:
            return webhooks.read_webhook(conn, webhook_id=webhook_id)

    def read_webhooks(self, *, limit: int = 200, offset: int = 0) -> list[Webhook]:
        from headwater.server.store import webhooks

        with self.db.begin_read() as conn:
            return webhooks.read_webhooks(conn, limit=limit, offset=offset)

    def read_webhooks_by_name(self, name: str) -> list[Webhook]:
        from headwater.server.store import webhooks

        with self.db.begin_read() as conn:
            return webhooks.read_webhooks(conn, name=name, limit=10)

    def update_webhook(self, webhook_id: UUID, changes: WebhookUpdate) -> Webhook:
        from headwater.server.store import webhooks

        with self.db.begin_write() as conn:
            return webhooks.update_webhook(conn, webhook_id=webhook_id, changes=changes)

    def rotate_webhook(self, webhook_id: UUID) -> Webhook:
        from headwater.server.store import webhooks

        with self.db.begin_write() as conn:
            return webhooks.rotate_slug(conn, webhook_id=webhook_id)

    def delete_webhook(self, webhook_id: UUID) -> None:
        from headwater.server.store import webhooks

        with self.db.begin_write() as conn:
            webhooks.delete_webhook(conn, webhook_id=webhook_id)
