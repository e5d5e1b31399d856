"""``headwater events emit | ls | stream`` on the embedded store."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def test_cli_emit_ls_and_stream(cli: Callable[..., Any], database_url: str) -> None:
    result: Any = cli(
        "events",
        "emit",
        "ops.deploy.done",
        "--resource-id",
        "ops.app.api",
        "--payload",
        '{"version": "1.2"}',
    )
    assert result.exit_code == 0, result.output
    assert "Emitted ops.deploy.done" in result.output
    listed: Any = cli("events", "ls", "--resource", "ops.app.api")
    assert "ops.deploy.done" in listed.output and "Events (1 of 1)" in listed.output
    as_json: Any = cli("events", "ls", "--event", "ops.deploy", "--json")
    assert json.loads(as_json.output.splitlines()[0])["payload"] == {"version": "1.2"}
    streamed: Any = cli("events", "stream", "--run-seconds", "0.2", "--event", "ops.")
    assert streamed.exit_code == 0
    bad: Any = cli("events", "emit", "x", "--resource-id", "r", "--payload", "[1]")
    assert bad.exit_code != 0 and "payload must be a JSON dict" in bad.output
