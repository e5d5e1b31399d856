"""``HttpClient``'s SLAs (``/api/deployments/{id}/slas``) and incoming webhooks
(``/api/webhooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.slas import Sla, SlaCreate
    from headwater.schemas.webhooks import Webhook, WebhookCreate, WebhookUpdate

_READ = 2.0
_WRITE = 10.0


class HttpHooksMixin:
    transport: Any

    # -- SLAs ---------------------------------------------------------------------------
    def read_deployment_slas(self, deployment_id: UUID) -> list[Sla]:
        from pydantic import TypeAdapter

        from headwater.schemas.slas import Sla

        response = self.transport.request(
            "GET", f"/deployments/{deployment_id}/slas", retry_for=_READ
        )
        return TypeAdapter(list[Sla]).validate_json(response.content)

    def create_deployment_sla(self, deployment_id: UUID, sla: SlaCreate) -> Sla:
        from headwater.schemas.slas import Sla, SlaCreate

        body = SlaCreate.model_validate(sla.model_dump()).model_dump_json().encode()
        response = self.transport.request(
            "POST", f"/deployments/{deployment_id}/slas", body, retry_for=_WRITE
        )
        return Sla.model_validate_json(response.content)

    def delete_deployment_sla(self, deployment_id: UUID, sla_id: UUID) -> None:
        self.transport.request(
            "DELETE", f"/deployments/{deployment_id}/slas/{sla_id}", retry_for=_WRITE
        )

    # -- webhooks -----------------------------------------------------------------------
    def _webhook(self, method: str, path: str, body: Any = None) -> Webhook:
        from headwater.schemas.webhooks import Webhook

        content = body.model_dump_json(exclude_unset=True).encode() if body is not None else None
        retry = _READ if method == "GET" else _WRITE
        response = self.transport.request(method, path, content, retry_for=retry)
        return Webhook.model_validate_json(response.content)

    def _webhooks(self, body: dict[str, Any]) -> list[Webhook]:
        from pydantic import TypeAdapter

        from headwater.client.transport import dumps
        from headwater.schemas.webhooks import Webhook

        response = self.transport.request("POST", "/webhooks/filter", dumps(body), retry_for=_READ)
        return TypeAdapter(list[Webhook]).validate_json(response.content)

    def create_webhook(self, webhook: WebhookCreate) -> Webhook:
        return self._webhook("POST", "/webhooks/", webhook)

    def read_webhook(self, webhook_id: UUID) -> Webhook:
        return self._webhook("GET", f"/webhooks/{webhook_id}")

    def read_webhooks(self, *, limit: int = 200, offset: int = 0) -> list[Webhook]:
        return self._webhooks({"limit": limit, "offset": offset})

    def read_webhooks_by_name(self, name: str) -> list[Webhook]:
        return self._webhooks({"name": name, "limit": 10})

    def update_webhook(self, webhook_id: UUID, changes: WebhookUpdate) -> Webhook:
        return self._webhook("PATCH", f"/webhooks/{webhook_id}", changes)

    def rotate_webhook(self, webhook_id: UUID) -> Webhook:
        return self._webhook("POST", f"/webhooks/{webhook_id}/rotate")

    def delete_webhook(self, webhook_id: UUID) -> None:
        self.transport.request("DELETE", f"/webhooks/{webhook_id}", retry_for=_WRITE)
