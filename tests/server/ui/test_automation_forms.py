"""The automation form's reading and writing (no browser): every action type and the
trigger's fields survive form values → posted fields → ``AutomationCore``; a wrong
value names its form field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from headwater.schemas.automations import AutomationCore
from headwater.server.ui.automation_forms import (
    ACTION_TYPES,
    FormProblem,
    automation_from_form,
    form_values,
    summary_of_trigger,
)

ID = str(uuid.uuid4())


def _posted(values: dict[str, Any]) -> dict[str, str]:
    """What the browser posts for ``values`` (every action field, as the form has)."""
    form = {k: str(v) for k, v in values.items() if k not in ("actions", "enabled")}
    if values["enabled"]:
        form["enabled"] = "on"
    for i, action in enumerate(values["actions"]):
        for field, value in action.items():
            form[f"action-{i}-{field}"] = str(value)
    return form


def test_every_action_type_round_trips() -> None:
    automation = AutomationCore.model_validate(
        {
            "name": "everything",
            "description": "all the actions",
            "tags": ["a", "b"],
            "trigger": {
                "posture": "Proactive",
                "expect": ["job.done", "job.skipped"],
                "after": ["job.started"],
                "for_each": ["headwater.resource.id"],
                "match": {"headwater.resource.id": "job.*", "headwater.resource.name": ["a", "b"]},
                "match_related": {"headwater.resource.id": "headwater.tag.prod"},
                "threshold": 2,
                "within": 90,
            },
            "actions": [
                {
                    "type": "run-deployment",
                    "deployment_id": ID,
                    "parameters": {"n": 5, "day": "{{ event.occurred }}", "on": True},
                },
                {"type": "run-deployment", "source": "inferred"},
                {"type": "pause-deployment", "deployment_id": ID},
                {"type": "resume-deployment", "source": "inferred"},
                {"type": "cancel-flow-run"},
                {"type": "suspend-flow-run", "source": "selected", "flow_run_id": ID},
                {"type": "suspend-flow-run", "source": "inferred", "timeout_seconds": 60},
                {
                    "type": "change-flow-run-state",
                    "state": "FAILED",
                    "name": "Stuck",
                    "message": "too slow",
                },
                {"type": "pause-work-pool", "work_pool_id": ID},
                {"type": "resume-work-pool", "source": "inferred"},
                {"type": "pause-work-queue", "work_queue_id": ID},
                {"type": "resume-work-queue", "work_queue_id": ID},
                {"type": "pause-automation", "source": "inferred"},
                {"type": "resume-automation", "automation_id": ID},
                {
                    "type": "send-notification",
                    "block_document_id": ID,
                    "subject": "s {{ automation.name }}",
                    "body": "b",
                },
                {"type": "call-webhook", "block_document_id": ID, "payload": '{"a": 1}'},
                {"type": "do-nothing"},
            ],
            "actions_on_resolve": [{"type": "do-nothing"}],
        }
    )
    assert {a.type for a in automation.actions} == set(ACTION_TYPES)
    values = form_values(automation)
    assert "actions_on_resolve" in values["advanced"]
    again = automation_from_form(_posted(values))
    assert again == automation


def test_new_form_defaults_and_summaries() -> None:
    values = form_values(None)
    posted = _posted(values)
    posted["action-0-type"] = "do-nothing"
    made = automation_from_form({**posted, "name": "x"})
    assert made.trigger.expect == {"headwater.flow-run.Failed"}
    assert summary_of_trigger(made) == "headwater.flow-run.Failed"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"threshold": "0"}, "threshold", "greater than or equal to 1"),
        ({"threshold": "many"}, "threshold", "'many' is not a number"),
        ({"posture": "Proactive", "within": "0"}, "within", "needs within="),
        ({"name": ""}, "name", "at least 1 character"),
        ({"action-0-block_document_id": ""}, "action-0-block_document_id", "UUID"),
        ({"action-0-type": "explode"}, "action-0-type", "unknown action type"),
        ({"advanced": "[1]"}, "advanced", "must be a JSON object"),
        ({"advanced": '{"trigger": {"type": "nope"}}'}, "advanced", ""),
    ],
)
def test_a_wrong_value_names_its_field(change: dict[str, str], field: str, words: str) -> None:
    posted = {**_posted(form_values(None)), "name": "x", **change}
    with pytest.raises(FormProblem) as caught:
        automation_from_form(posted)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_run_parameters_lines() -> None:
    posted = {**_posted(form_values(None)), "name": "x", "action-0-type": "run-deployment"}
    posted["action-0-parameters"] = "n = 5\nname = {{ event.id }}\nbroken"
    with pytest.raises(FormProblem) as caught:
        automation_from_form(posted)
    assert caught.value.field == "action-0-parameters"
    posted["action-0-parameters"] = "n = 5\nname = {{ event.id }}\nflags = [1, 2]"
    [action] = automation_from_form(posted).actions
    assert action.parameters == {"n": 5, "name": "{{ event.id }}", "flags": [1, 2]}  # type: ignore[union-attr]
