"""Notifications, the simple way: "runs (with these tags) entering these states tell
this block" — Prefect 2's notifications, stored as automations tagged
``notification``.  The CLI (``headwater notification``) and the UI's Notifications
page build and read them here."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from headwater.schemas.automations import (
    AutomationCore,
    AutomationRead,
    EventTrigger,
    SendNotification,
)

TAG = "notification"
STATES = ("Scheduled", "Pending", "Running", "Completed", "Failed", "Crashed", "Cancelled")
SUBJECT = "Headwater: {{ flow.name }} {{ event.resource['headwater.state-name'] }}"
BODY = (
    "Flow run {{ flow.name }}/{{ flow_run.name }} entered state "
    "{{ event.resource['headwater.state-name'] }}"
    "{% if event.resource['headwater.state-message'] %}: "
    "{{ event.resource['headwater.state-message'] }}{% endif %}"
)
_EVENT = "headwater.flow-run."
_TAG_ID = "headwater.tag."


def parse_states(wanted: Iterable[str]) -> list[str]:
    """State names in their canonical spelling; ``ValueError`` naming an unknown one."""
    by_lower = {s.lower(): s for s in STATES}
    names = [s.strip() for s in wanted if s.strip()]
    unknown = [s for s in names if s.lower() not in by_lower]
    if unknown or not names:
        shown = ", ".join(unknown) or "none"
        raise ValueError(f"unknown state {shown}: use some of {', '.join(STATES)}")
    return sorted({by_lower[s.lower()] for s in names}, key=STATES.index)


def notification(
    *,
    states: list[str],
    tags: list[str],
    block_document_id: UUID,
    block_label: str,
    body: str = BODY,
    name: str | None = None,
) -> AutomationCore:
    """The automation behind a notification: a flow run (with one of ``tags``) entering
    one of ``states`` sends ``body`` to the block."""
    trigger = EventTrigger(
        expect={f"{_EVENT}{s}" for s in states},
        match_related={"headwater.resource.id": [f"{_TAG_ID}{t}" for t in tags]} if tags else {},
    )
    label = name or f"{'/'.join(states)} {'+'.join(tags) or 'any tag'} -> {block_label}"
    return AutomationCore(
        name=label[:200],
        description="A notification (headwater notification create).",
        trigger=trigger,
        actions=[SendNotification(block_document_id=block_document_id, subject=SUBJECT, body=body)],
        tags=[TAG],
    )


def is_notification(automation: AutomationRead) -> bool:
    return TAG in automation.tags


def states_of(automation: AutomationCore) -> list[str]:
    trigger = automation.trigger
    if not isinstance(trigger, EventTrigger):  # not made as a notification
        return []
    names = {e.rsplit(".", 1)[-1] for e in trigger.expect if e.startswith(_EVENT)}
    return sorted(names, key=lambda s: (STATES.index(s) if s in STATES else 99, s))


def tags_of(automation: AutomationCore) -> list[str]:
    trigger = automation.trigger
    if not isinstance(trigger, EventTrigger):
        return []
    related = trigger.match_related
    ids = related.get("headwater.resource.id", []) if isinstance(related, dict) else []
    return [i.removeprefix(_TAG_ID) for i in (ids if isinstance(ids, list) else [ids])]


def block_of(automation: AutomationCore) -> UUID | None:
    for action in automation.actions:
        if isinstance(action, SendNotification):
            return action.block_document_id
    return None
