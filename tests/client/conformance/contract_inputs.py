"""Flow-run inputs and resuming a paused run (with its input checked field by field)."""

from __future__ import annotations

import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import (
    NotPausedError,
    ObjectAlreadyExists,
    ObjectNotFound,
    ParameterValidationError,
    UserInputError,
)
from headwater.states import Paused, StateType
from tests.client.conformance.records import new_run

SCHEMA = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}, "copies": {"type": "integer"}},
    "required": ["approved"],
    "additionalProperties": False,
}


class InputsContract:
    def test_inputs_are_kept_per_run_and_key(self, client: Client) -> None:
        run = new_run(client)
        client.create_flow_run_input(run["id"], "note", {"a": [1, 2]}, sender="me")
        assert client.read_flow_run_input(run["id"], "note") == {"a": [1, 2]}
        assert client.read_flow_run_input(run["id"], "other") is None
        with pytest.raises(ObjectAlreadyExists):
            client.create_flow_run_input(run["id"], "note", 1)
        client.create_flow_run_input(run["id"], "msg-002", 2)
        client.create_flow_run_input(run["id"], "msg-001", 1)
        client.create_flow_run_input(run["id"], "msgx-001", 9)  # another prefix
        assert client.read_flow_run_inputs(run["id"], "msg") == [("msg-001", 1), ("msg-002", 2)]
        assert client.delete_flow_run_input(run["id"], "msg-001") is True
        assert client.delete_flow_run_input(run["id"], "msg-001") is False
        with pytest.raises(ObjectNotFound):
            client.create_flow_run_input(uuid.uuid4(), "note", 1)

    def test_resume_checks_the_input_then_stores_it(self, client: Client) -> None:
        run = new_run(client)
        with pytest.raises(NotPausedError):
            client.resume_flow_run(run["id"])
        client.create_flow_run_input(run["id"], "gate-schema", {"schema": SCHEMA})
        assert client.set_flow_run_state(run["id"], Paused(60, pause_key="gate")).accepted
        pause = client.read_flow_run_pause(run["id"])
        assert pause["pause_key"] == "gate" and pause["input"]["schema"] == SCHEMA
        with pytest.raises(UserInputError, match="waits for input"):
            client.resume_flow_run(run["id"])
        with pytest.raises(ParameterValidationError) as bad:
            client.resume_flow_run(run["id"], {"approved": "yes", "copies": 1.5, "extra": 1})
        assert {tuple(e["loc"][2:]) for e in bad.value.errors} >= {("approved",), ("copies",)}
        assert client.read_flow_run(run["id"]).state.type is StateType.PAUSED
        result = client.resume_flow_run(run["id"], {"approved": True, "copies": 2})
        assert result.state.type is StateType.RUNNING
        assert client.read_flow_run_input(run["id"], "gate-response") == {
            "approved": True,
            "copies": 2,
        }
        with pytest.raises(ObjectNotFound):
            client.read_flow_run_pause(uuid.uuid4())
