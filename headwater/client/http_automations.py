"""``HttpClient``'s automations over ``/api/automations``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.automations import AutomationCore, AutomationRead

_READ = 2.0
_WRITE = 10.0


class HttpAutomationsMixin:
    transport: Any

    def _automation(self, method: str, path: str, body: Any = None) -> AutomationRead:
        from headwater.schemas.automations import AutomationRead

        content = body.model_dump_json().encode() if body is not None else None
        retry = _READ if method == "GET" else _WRITE
        response = self.transport.request(method, path, content, retry_for=retry)
        return AutomationRead.model_validate_json(response.content)

    def _automations(self, body: dict[str, Any]) -> list[AutomationRead]:
        from pydantic import TypeAdapter

        from headwater.client.transport import dumps
        from headwater.schemas.automations import AutomationRead

        response = self.transport.request(
            "POST", "/automations/filter", dumps(body), retry_for=_READ
        )
        return TypeAdapter(list[AutomationRead]).validate_json(response.content)

    def create_automation(self, automation: AutomationCore) -> AutomationRead:
        return self._automation("POST", "/automations/", automation)

    def read_automation(self, automation_id: UUID) -> AutomationRead:
        return self._automation("GET", f"/automations/{automation_id}")

    def read_automations(self, *, limit: int = 200, offset: int = 0) -> list[AutomationRead]:
        return self._automations({"limit": limit, "offset": offset})

    def read_automations_by_name(self, name: str) -> list[AutomationRead]:
        return self._automations({"name": name, "limit": 10_000})

    def update_automation(self, automation_id: UUID, automation: AutomationCore) -> AutomationRead:
        return self._automation("PUT", f"/automations/{automation_id}", automation)

    def pause_automation(self, automation_id: UUID) -> AutomationRead:
        return self._patch(automation_id, False)

    def resume_automation(self, automation_id: UUID) -> AutomationRead:
        return self._patch(automation_id, True)

    def _patch(self, automation_id: UUID, enabled: bool) -> AutomationRead:
        from headwater.schemas.automations import AutomationPatch

        return self._automation(
            "PATCH", f"/automations/{automation_id}", AutomationPatch(enabled=enabled)
        )

    def delete_automation(self, automation_id: UUID) -> None:
        self.transport.request("DELETE", f"/automations/{automation_id}", retry_for=_WRITE)
