"""A deployment's triggers (``triggers=`` / ``triggers:``): checked when the deployment
is made, stored as automations when it is applied.

Each trigger becomes one automation, tagged with the deployment's id and named after
the trigger (``name=``) or ``FLOW/DEPLOYMENT__automation_N``.  Applying again updates
them in place by name, creates the new ones and deletes those no longer given;
``triggers=None`` (not given) leaves them as they are.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from headwater.exceptions import InvalidOptionError


def check_triggers(triggers: Any) -> list[Any] | None:
    """``triggers`` as deployment-trigger objects (each may be a
    ``DeploymentEventTrigger``/``...CompoundTrigger``/``...SequenceTrigger``, a plain
    ``EventTrigger``/``CompoundTrigger``/``SequenceTrigger``, or a mapping)."""
    if triggers is None:
        return None
    from pydantic import TypeAdapter, ValidationError

    from headwater.schemas.deployment_triggers import DeploymentTrigger

    if not isinstance(triggers, (list, tuple)):
        raise InvalidOptionError("triggers must be a list of triggers (DeploymentEventTrigger…)")
    adapter: TypeAdapter[Any] = TypeAdapter(DeploymentTrigger)
    out = []
    for index, trigger in enumerate(triggers):
        data = trigger
        if hasattr(trigger, "model_dump"):
            data = trigger.model_dump()
        if not isinstance(data, dict):
            raise InvalidOptionError(f"triggers[{index}] must be a trigger or a mapping")
        try:
            out.append(adapter.validate_python(data))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"][1:])  # [0] is the union tag
            message = str(error["msg"]).removeprefix("Value error, ")
            at = f".{where}" if where else ""
            raise InvalidOptionError(f"triggers[{index}]{at}: {message}") from None
    return out


def sync_triggers(client: Any, deployment_id: UUID, full_name: str, triggers: list[Any]) -> None:
    """Make the deployment's automations those of ``triggers``."""
    from headwater.schemas.automations import AutomationCore
    from headwater.schemas.deployment_triggers import OWNER_TAG_PREFIX

    fields = AutomationCore.model_fields

    tag = f"{OWNER_TAG_PREFIX}{deployment_id}"
    existing = {a.name: a for a in client.read_automations(limit=10_000) if tag in a.tags}
    wanted = [
        trigger.as_automation(deployment_id, f"{full_name}__automation_{i}")
        for i, trigger in enumerate(triggers, start=1)
    ]
    names = [automation.name for automation in wanted]
    if len(set(names)) != len(names):
        raise InvalidOptionError(f"deployment {full_name!r}: two triggers are named alike")
    for automation in wanted:
        found = existing.pop(automation.name, None)
        if found is None:
            client.create_automation(automation)
        elif found.model_dump(include=set(fields)) != automation.model_dump():
            client.update_automation(found.id, automation)
    for stale in existing.values():
        client.delete_automation(stale.id)
