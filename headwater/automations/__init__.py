"""Automations: when something happens (or fails to happen), do something.

    from headwater.automations import Automation, EventTrigger, SendNotification

    Automation(
        name="tell ops about failures",
        trigger=EventTrigger(expect={"headwater.flow-run.Failed"}, match={...}),
        actions=[SendNotification(block_document_id=slack.id, body="{{ flow_run.name }} failed")],
    ).create()

Prefect 3's classes and names.  A server evaluates automations (``headwater server
start``); on the embedded store they are kept and evaluated once a server runs on it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from headwater.schemas.automations import (
    Action,
    AutomationCore,
    AutomationRead,
    CallWebhook,
    CancelFlowRun,
    ChangeFlowRunState,
    CompoundTrigger,
    DoNothing,
    EventTrigger,
    PauseAutomation,
    PauseDeployment,
    PauseWorkPool,
    PauseWorkQueue,
    Posture,
    ResumeAutomation,
    ResumeDeployment,
    ResumeWorkPool,
    ResumeWorkQueue,
    RunDeployment,
    SendNotification,
    SequenceTrigger,
    SuspendFlowRun,
)
from headwater.schemas.deployment_triggers import (
    DeploymentCompoundTrigger,
    DeploymentEventTrigger,
    DeploymentSequenceTrigger,
)

__all__ = [
    "Action",
    "Automation",
    "AutomationCore",
    "CallWebhook",
    "CancelFlowRun",
    "ChangeFlowRunState",
    "CompoundTrigger",
    "DeploymentCompoundTrigger",
    "DeploymentEventTrigger",
    "DeploymentSequenceTrigger",
    "DoNothing",
    "EventTrigger",
    "PauseAutomation",
    "PauseDeployment",
    "PauseWorkPool",
    "PauseWorkQueue",
    "Posture",
    "ResumeAutomation",
    "ResumeDeployment",
    "ResumeWorkPool",
    "ResumeWorkQueue",
    "RunDeployment",
    "SendNotification",
    "SequenceTrigger",
    "SuspendFlowRun",
]


def _client() -> Any:
    from headwater.client import shared_client

    return shared_client()


class Automation(AutomationCore):
    """An automation; ``id`` is set once it is created (or read)."""

    id: UUID | None = None

    def _core(self) -> AutomationCore:
        return AutomationCore.model_validate(self.model_dump(exclude={"id"}))

    @classmethod
    def _from(cls, read: AutomationRead) -> Automation:
        return cls.model_validate(read.model_dump(exclude={"created", "updated"}))

    def create(self) -> Automation:
        """Store it; returns it with its ``id``."""
        made = _client().create_automation(self._core())
        self.id = made.id
        return self

    @classmethod
    def read(cls, id: UUID | str | None = None, name: str | None = None) -> Automation:
        """By id, or by name (``AutomationNotFound`` if none; the first if several)."""
        from headwater.exceptions import AutomationNotFound

        if id is not None:
            return cls._from(_client().read_automation(UUID(str(id))))
        if name is None:
            raise ValueError("Automation.read needs id= or name=")
        found = _client().read_automations_by_name(name)
        if not found:
            raise AutomationNotFound(f"no automation named {name!r}")
        return cls._from(found[0])

    def _require_id(self) -> UUID:
        if self.id is None:
            raise ValueError("this automation is not created yet (call .create())")
        return self.id

    def update(self) -> Automation:
        _client().update_automation(self._require_id(), self._core())
        return self

    def delete(self) -> bool:
        from headwater.exceptions import ObjectNotFound

        try:
            _client().delete_automation(self._require_id())
        except ObjectNotFound:
            return False
        return True

    def disable(self) -> Automation:
        _client().pause_automation(self._require_id())
        self.enabled = False
        return self

    def enable(self) -> Automation:
        _client().resume_automation(self._require_id())
        self.enabled = True
        return self
