"""``headwater flow-run resume ID [--input JSON]``."""

from __future__ import annotations

import uuid

import pytest

from headwater.client import shared_client
from headwater.states import Paused, Running, StateType
from tests.cli._run import run_cli

SCHEMA = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}},
    "required": ["approved"],
}


def _paused_run() -> uuid.UUID:
    client = shared_client()
    run = client.create_flow_run(
        {"id": uuid.uuid4(), "flow_name": "cli-resume", "name": "r"},  # type: ignore[typeddict-item]
        Running(),
    )
    client.create_flow_run_input(run["id"], "gate-schema", {"schema": SCHEMA})
    client.set_flow_run_state(run["id"], Paused(60, pause_key="gate"))
    return run["id"]


def test_resume_with_input(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _paused_run()
    code, _, err = run_cli(capsys, "flow-run", "resume", str(run_id))
    assert code == 1 and "waits for input" in err
    code, _, err = run_cli(capsys, "flow-run", "resume", str(run_id), "--input", "{nope")
    assert code == 1 and "--input is not JSON" in err
    code, _, err = run_cli(capsys, "flow-run", "resume", str(run_id), "--input", "[1]")
    assert code == 1 and "JSON object" in err
    code, _, err = run_cli(
        capsys, "flow-run", "resume", str(run_id), "--input", '{"approved": "yes"}'
    )
    assert code == 1 and "field 'approved'" in err and "Traceback" not in err
    code, out, _ = run_cli(
        capsys, "flow-run", "resume", str(run_id), "--input", '{"approved": true}'
    )
    assert code == 0 and "Running" in out
    assert shared_client().read_flow_run(run_id).state.type is StateType.RUNNING
    code, _, err = run_cli(capsys, "flow-run", "resume", str(run_id))
    assert code == 1 and "is not paused" in err
    code, _, err = run_cli(capsys, "flow-run", "resume", str(uuid.uuid4()))
    assert code == 1 and "not found" in err
