"""Deployment triggers: a trigger that runs its deployment (Prefect 3's
``DeploymentEventTrigger``, ``DeploymentCompoundTrigger``, ``DeploymentSequenceTrigger``).

Given to ``flow.serve(triggers=[...])``, ``flow.deploy(triggers=...)``,
``to_deployment(triggers=...)`` or a ``triggers:`` list in ``headwater.yaml``; applying
the deployment stores one automation per trigger whose action runs the deployment
with ``parameters`` rendered (Jinja, sandboxed) over the triggering event.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Discriminator, Field, Tag

from headwater.schemas.automations import (
    AutomationCore,
    CompoundTrigger,
    EventTrigger,
    RunDeployment,
    SequenceTrigger,
    trigger_type,
)
from headwater.schemas.base import Schema

#: The tag that marks an automation as the trigger of one deployment.
OWNER_TAG_PREFIX = "headwater.deployment-trigger."

_OWN_FIELDS = {"name", "description", "enabled", "parameters"}


class _RunsItsDeployment(Schema):
    """The fields a deployment trigger adds to its trigger type."""

    name: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=5000)
    enabled: bool = True
    parameters: dict[str, Any] | None = None

    def as_automation(self, deployment_id: UUID, default_name: str) -> AutomationCore:
        run = RunDeployment(
            source="selected", deployment_id=deployment_id, parameters=self.parameters
        )
        return AutomationCore.model_validate(
            {
                "name": self.name or default_name,
                "description": self.description,
                "enabled": self.enabled,
                "trigger": self.model_dump(exclude=_OWN_FIELDS),
                "actions": [run.model_dump()],
                "tags": [f"{OWNER_TAG_PREFIX}{deployment_id}"],
            }
        )


class DeploymentEventTrigger(EventTrigger, _RunsItsDeployment):
    """An ``EventTrigger`` that runs its deployment; ``parameters`` values may be Jinja
    templates over the event (``"{{ event.payload.file }}"``)."""


class DeploymentCompoundTrigger(CompoundTrigger, _RunsItsDeployment):
    """A ``CompoundTrigger`` that runs its deployment."""


class DeploymentSequenceTrigger(SequenceTrigger, _RunsItsDeployment):
    """A ``SequenceTrigger`` that runs its deployment."""


DeploymentTrigger = Annotated[
    Annotated[DeploymentEventTrigger, Tag("event")]
    | Annotated[DeploymentCompoundTrigger, Tag("compound")]
    | Annotated[DeploymentSequenceTrigger, Tag("sequence")],
    Discriminator(trigger_type),
]
