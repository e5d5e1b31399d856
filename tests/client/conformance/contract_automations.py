"""Automations: created, read by id and name, listed, replaced, paused, resumed and
deleted alike on every transport."""

from __future__ import annotations

import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import ObjectNotFound
from headwater.schemas.automations import AutomationCore, DoNothing, EventTrigger
from tests.client.conformance.records import unique


class AutomationsContract:
    def test_automations_lifecycle(self, client: Client) -> None:
        name = unique("conf-automation")
        core = AutomationCore(
            name=name,
            trigger=EventTrigger(expect={"prefect.flow-run.Failed"}, threshold=2, within=60),
            actions=[DoNothing()],
        )
        made = client.create_automation(core)
        assert made.name == name and made.enabled
        assert made.trigger.expect == {"headwater.flow-run.Failed"}
        assert made.trigger.within == 60.0
        assert client.read_automation(made.id) == made
        assert [a.id for a in client.read_automations_by_name(name)] == [made.id]
        assert made.id in {a.id for a in client.read_automations(limit=10_000)}
        changed = client.update_automation(
            made.id, core.model_copy(update={"description": "now described"})
        )
        assert changed.description == "now described"
        assert client.pause_automation(made.id).enabled is False
        assert client.resume_automation(made.id).enabled is True
        client.delete_automation(made.id)
        with pytest.raises(ObjectNotFound):
            client.read_automation(made.id)
        with pytest.raises(ObjectNotFound):
            client.delete_automation(made.id)
        assert client.read_automations_by_name(name) == []
        with pytest.raises(ObjectNotFound):
            client.pause_automation(uuid.uuid4())
