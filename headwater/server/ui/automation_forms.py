"""The automation form: form fields to the ``AutomationCore`` the API takes, an
automation back to form values, and a refusal to the field it is about.

The trigger is an event trigger in plain fields (event names one a line, resource
matches as ``label = value`` lines, posture, threshold, within, for each); each action
is a group of fields named ``action-{i}-{field}`` with its ``type``.  What the fields
cannot say (compound triggers, actions on resolve, ...) goes in the advanced JSON box,
an object whose keys replace the form's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from headwater.schemas.automations import AutomationCore, EventTrigger

RESOURCE_ID = "headwater.resource.id"

#: Action types, their labels, and the fields each one uses.
ACTION_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "run-deployment": ("Run a deployment", ("deployment_id", "parameters")),
    "pause-deployment": ("Pause a deployment", ("deployment_id",)),
    "resume-deployment": ("Resume a deployment", ("deployment_id",)),
    "cancel-flow-run": ("Cancel the flow run", ()),
    "suspend-flow-run": ("Suspend the flow run", ("flow_run_id", "timeout_seconds")),
    "change-flow-run-state": ("Change the flow run's state", ("state", "state_name", "message")),
    "pause-work-pool": ("Pause a work pool", ("work_pool_id",)),
    "resume-work-pool": ("Resume a work pool", ("work_pool_id",)),
    "pause-work-queue": ("Pause a work queue", ("work_queue_id",)),
    "resume-work-queue": ("Resume a work queue", ("work_queue_id",)),
    "pause-automation": ("Pause an automation", ("automation_id",)),
    "resume-automation": ("Resume an automation", ("automation_id",)),
    "send-notification": ("Send a notification", ("block_document_id", "subject", "body")),
    "call-webhook": ("Call a webhook", ("block_document_id", "payload")),
    "do-nothing": ("Do nothing", ()),
}
#: Fields naming an object: empty means "the one the event is about" (``inferred``).
INFERABLE = ("deployment_id", "work_pool_id", "work_queue_id", "automation_id", "flow_run_id")
_ACTION_FIELD = re.compile(r"action-(\d+)-type")


class FormProblem(ValueError):
    """A field the form could not read: ``field`` is its form name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _lines(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]


def _spec(text: str) -> dict[str, Any]:
    """``label = value`` lines (a bare value is a resource id) as a resource spec; a
    label given twice matches any of its values."""
    spec: dict[str, Any] = {}
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        label, sep, value = line.partition("=")
        label, value = (label.strip(), value.strip()) if sep else (RESOURCE_ID, line)
        known = spec.get(label)
        if known is None:
            spec[label] = value
        else:
            spec[label] = [*(known if isinstance(known, list) else [known]), value]
    return spec


def _spec_text(spec: Mapping[str, Any]) -> str:
    lines = []
    for label, value in spec.items():
        for one in value if isinstance(value, list) else [value]:
            lines.append(one if label == RESOURCE_ID else f"{label} = {one}")
    return "\n".join(lines)


def _number(form: Mapping[str, str], field: str, kind: type[Any], default: Any) -> Any:
    text = form.get(field, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise FormProblem(field, f"{text[:40]!r} is not a number") from None


def _parameters(text: str, field: str) -> dict[str, Any] | None:
    """``name = value`` lines; a value that reads as JSON is that value, else text (a
    Jinja template such as ``{{ event.id }}`` stays text)."""
    params: dict[str, Any] = {}
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise FormProblem(field, f"{line[:40]!r} is not name = value")
        try:
            params[name.strip()] = json.loads(value.strip())
        except ValueError:
            params[name.strip()] = value.strip()
    return params or None


def _action(form: Mapping[str, str], index: int) -> dict[str, Any]:
    prefix = f"action-{index}-"
    kind = form.get(prefix + "type", "")
    if kind not in ACTION_TYPES:
        raise FormProblem(prefix + "type", f"unknown action type {kind[:40]!r}")
    action: dict[str, Any] = {"type": kind}
    for field in ACTION_TYPES[kind][1]:
        value = form.get(prefix + field, "").strip()
        if field in INFERABLE:
            action["source"] = "selected" if value else "inferred"
            action[field] = value or None
        elif field == "parameters":
            action[field] = _parameters(form.get(prefix + field, ""), prefix + field)
        elif field == "state_name":
            action["name"] = value or None
        elif field in ("message",):
            action[field] = value or None
        elif value or field in ("payload", "block_document_id", "state"):
            action[field] = value
    return action


def automation_from_form(form: Mapping[str, str]) -> AutomationCore:
    """The automation the form describes; ``FormProblem`` names the wrong field."""
    trigger: dict[str, Any] = {
        "type": "event",
        "posture": form.get("posture", "Reactive"),
        "expect": _lines(form.get("expect", "")),
        "after": _lines(form.get("after", "")),
        "for_each": _lines(form.get("for_each", "")),
        "match": _spec(form.get("match", "")),
        "match_related": _spec(form.get("match_related", "")),
        "threshold": _number(form, "threshold", int, 1),
        "within": _number(form, "within", float, 0.0),
    }
    indexes = sorted(int(m.group(1)) for key in form if (m := _ACTION_FIELD.fullmatch(key)))
    data: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "description": form.get("description", "").strip(),
        "enabled": form.get("enabled") == "on",
        "tags": _lines(form.get("tags", "")),
        "trigger": trigger,
        "actions": [_action(form, i) for i in indexes],
    }
    advanced = form.get("advanced", "").strip()
    if advanced:
        try:
            extra = json.loads(advanced)
        except ValueError as exc:
            raise FormProblem("advanced", f"not JSON: {exc}") from None
        if not isinstance(extra, dict):
            raise FormProblem("advanced", 'must be a JSON object, e.g. {"actions_on_resolve": []}')
        data.update(extra)
    try:
        return AutomationCore.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FormProblem(field_of(first, data), _message(first)) from None


def _message(error: Mapping[str, Any]) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def field_of(error: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """The form field a validation error points at."""
    parts = [str(p) for p in error["loc"]]
    head = parts[0] if parts else "name"
    if head == "trigger":
        if data.get("trigger", {}).get("type") != "event":
            return "advanced"
        rest = parts[1:]
        if rest and rest[0] == "event":  # the trigger union's tag
            rest = rest[1:]
        if not rest:  # the trigger as a whole (a Proactive one needs within)
            return "within" if "within" in str(error["msg"]) else "expect"
        plain = ("threshold", "within", "posture", "expect", "after", "for_each", "match")
        return rest[0] if rest[0] in plain else "match_related"
    if head == "actions" and len(parts) >= 2 and parts[1].isdigit():
        # actions, i, <type tag>, field
        field = parts[3] if len(parts) >= 4 else "type"
        field = {"name": "state_name", "source": "type"}.get(field, field)
        return f"action-{parts[1]}-{field}"
    if head in ("name", "description", "tags", "enabled"):
        return head
    return "advanced"


def form_values(automation: AutomationCore | None) -> dict[str, Any]:
    """What the form shows for ``automation`` (a new one's defaults when ``None``)."""
    if automation is None:
        return {
            "name": "",
            "description": "",
            "enabled": True,
            "tags": "",
            "posture": "Reactive",
            "expect": "headwater.flow-run.Failed",
            "after": "",
            "for_each": "",
            "match": "",
            "match_related": "",
            "threshold": "1",
            "within": "0",
            "actions": [blank_action()],
            "advanced": "",
        }
    trigger = automation.trigger
    advanced: dict[str, Any] = {}
    if not isinstance(trigger, EventTrigger):  # compound, sequence: the fields cannot show it
        advanced["trigger"] = trigger.model_dump(mode="json")
        trigger = EventTrigger()
    if automation.actions_on_trigger:
        advanced["actions_on_trigger"] = [
            a.model_dump(mode="json") for a in automation.actions_on_trigger
        ]
    if automation.actions_on_resolve:
        advanced["actions_on_resolve"] = [
            a.model_dump(mode="json") for a in automation.actions_on_resolve
        ]
    related = trigger.match_related
    if isinstance(related, list):
        advanced["trigger"] = trigger.model_dump(mode="json")
        related = {}
    return {
        "name": automation.name,
        "description": automation.description,
        "enabled": automation.enabled,
        "tags": ", ".join(automation.tags),
        "posture": trigger.posture,
        "expect": "\n".join(sorted(trigger.expect)),
        "after": "\n".join(sorted(trigger.after)),
        "for_each": "\n".join(sorted(trigger.for_each)),
        "match": _spec_text(trigger.match),
        "match_related": _spec_text(related),
        "threshold": str(trigger.threshold),
        "within": f"{trigger.within:g}",
        "actions": [action_values(a.model_dump(mode="json")) for a in automation.actions],
        "advanced": json.dumps(advanced, indent=2) if advanced else "",
    }


def blank_action(kind: str = "send-notification") -> dict[str, Any]:
    """Every action field, empty: what the form shows for a new action."""
    fields = {field for _, used in ACTION_TYPES.values() for field in used}
    return {"type": kind, **dict.fromkeys(sorted(fields), "")}


def action_values(action: Mapping[str, Any]) -> dict[str, Any]:
    values = blank_action(str(action.get("type", "")))
    values.update({k: ("" if v is None else v) for k, v in action.items() if k in values})
    if "name" in action:
        values["state_name"] = action.get("name") or ""
    params = action.get("parameters")
    if isinstance(params, dict):
        values["parameters"] = "\n".join(
            f"{k} = {v if isinstance(v, str) else json.dumps(v)}" for k, v in params.items()
        )
    return values


def form_again(form: Mapping[str, str]) -> dict[str, Any]:
    """The values a refused form is shown again with (what the user typed)."""
    values: dict[str, Any] = {key: form.get(key, "") for key in _FIELDS}
    values["enabled"] = form.get("enabled") == "on"
    indexes = sorted(int(m.group(1)) for key in form if (m := _ACTION_FIELD.fullmatch(key)))
    values["actions"] = [
        action_values(
            {
                key.removeprefix(f"action-{i}-"): value
                for key, value in form.items()
                if key.startswith(f"action-{i}-")
            }
        )
        for i in indexes
    ]
    return values


_FIELDS = (
    "name",
    "description",
    "tags",
    "posture",
    "expect",
    "after",
    "for_each",
    "match",
    "match_related",
    "threshold",
    "within",
    "advanced",
)


def summary_of_trigger(automation: AutomationCore) -> str:
    """One line: what the trigger waits for."""
    trigger = automation.trigger
    if not isinstance(trigger, EventTrigger):
        return f"{trigger.type} trigger ({len(trigger.triggers)} triggers)"
    names = ", ".join(sorted(trigger.expect)) or "any event"
    if trigger.posture == "Proactive":
        text = f"fewer than {trigger.threshold} x {names} within {trigger.within:g} s"
        if trigger.after:
            text += f" after {', '.join(sorted(trigger.after))}"
    else:
        text = names if trigger.threshold == 1 else f"{trigger.threshold} x {names}"
        if trigger.within:
            text += f" within {trigger.within:g} s"
    return text


def summary_of_actions(automation: AutomationCore) -> str:
    labels = [ACTION_TYPES.get(a.type, (a.type, ()))[0] for a in automation.actions]
    return "; ".join(labels) or "no actions"
