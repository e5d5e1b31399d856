"""Events: what happened to which resource, when (Prefect 3's event shape).

``emit_event("shop.order.paid", resource={"headwater.resource.id": "shop.order.17"})``
queues an event for the store through the run's batching writer (it costs user code
a list append); the store also emits one for every state change of a flow run or
task run, and for deployments, work pools, queues and workers.  Resource keys and
event names written with Prefect's ``prefect.`` prefix are stored with
``headwater.``.  Automations react to events (``headwater.automations``).
"""

from __future__ import annotations

from typing import Any

from headwater.core.events import Event, RelatedResource, Resource, normalize_name
from headwater.events.emit import emit_event

#: Prefect's ``from prefect.events import DeploymentEventTrigger`` (and the other
#: trigger classes) work here too; they load pydantic, so only when asked for.
_TRIGGERS = {
    "EventTrigger",
    "CompoundTrigger",
    "SequenceTrigger",
    "DeploymentEventTrigger",
    "DeploymentCompoundTrigger",
    "DeploymentSequenceTrigger",
    "Posture",
}

__all__ = [
    "Event",
    "RelatedResource",
    "Resource",
    "emit_event",
    "normalize_name",
    *sorted(_TRIGGERS),
]


def __getattr__(name: str) -> Any:
    if name in _TRIGGERS:
        from headwater.schemas import automations, deployment_triggers

        return getattr(automations, name, None) or getattr(deployment_triggers, name)
    raise AttributeError(f"module 'headwater.events' has no attribute {name!r}")
