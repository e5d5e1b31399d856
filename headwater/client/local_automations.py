"""``LocalClient``'s automations (kept on the embedded store; a server evaluates them)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.automations import AutomationCore, AutomationRead
    from headwater.server.db.database import Database


class LocalAutomationsMixin:
    db: Database

    def create_automation(self, automation: AutomationCore) -> AutomationRead:
        from headwater.server.store import automations

        with self.db.begin_write() as conn:
            return automations.create_automation(conn, automation=automation)

    def read_automation(self, automation_id: UUID) -> AutomationRead:
        from headwater.server.store import automations

        with self.db.begin_read() as conn:
            return automations.read_automation(conn, automation_id=automation_id)

    def read_automations(self, *, limit: int = 200, offset: int = 0) -> list[AutomationRead]:
        from headwater.server.store import automations

        with self.db.begin_read() as conn:
            return automations.read_automations(conn, limit=limit, offset=offset)

    def read_automations_by_name(self, name: str) -> list[AutomationRead]:
        from headwater.server.store import automations

        with self.db.begin_read() as conn:
            return automations.read_automations(conn, name=name, limit=10_000)

    def update_automation(self, automation_id: UUID, automation: AutomationCore) -> AutomationRead:
        from headwater.server.store import automations

        with self.db.begin_write() as conn:
            return automations.update_automation(
                conn, automation_id=automation_id, automation=automation
            )

    def pause_automation(self, automation_id: UUID) -> AutomationRead:
        return self._set_enabled(automation_id, False)

    def resume_automation(self, automation_id: UUID) -> AutomationRead:
        return self._set_enabled(automation_id, True)

    def _set_enabled(self, automation_id: UUID, enabled: bool) -> AutomationRead:
        from headwater.server.store import automations

        with self.db.begin_write() as conn:
            return automations.set_enabled(conn, automation_id=automation_id, enabled=enabled)

    def delete_automation(self, automation_id: UUID) -> None:
        from headwater.server.store import automations

        with self.db.begin_write() as conn:
            automations.delete_automation(conn, automation_id=automation_id)
