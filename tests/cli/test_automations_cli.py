"""``headwater automation create --from-file | ls | inspect | pause | resume | delete``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def test_automation_commands(cli: Callable[..., Any], tmp_path: Path, database_url: str) -> None:
    spec = tmp_path / "automations.yaml"
    spec.write_text(
        "name: nightly-failures\n"
        "trigger:\n"
        "  expect: [prefect.flow-run.Failed]\n"
        "  match_related: {prefect.resource.role: tag, prefect.resource.id: prefect.tag.prod}\n"
        "  threshold: 2\n"
        "  within: 600\n"
        "actions:\n"
        "  - type: do-nothing\n"
    )
    made: Any = cli("automation", "create", "--from-file", str(spec))
    assert made.exit_code == 0, made.output
    assert "Created automation 'nightly-failures'" in made.output
    listed: Any = cli("automation", "ls")
    assert "nightly-failures" in listed.output
    assert "Reactive: headwater.flow-run.Failed x2 within 600s" in listed.output
    shown: Any = cli("automation", "inspect", "nightly-failures")
    assert json.loads(shown.output)["trigger"]["threshold"] == 2
    assert "Paused" in cli("automation", "pause", "nightly-failures").output
    assert "paused" in cli("automation", "ls").output
    assert "Resumed" in cli("automation", "resume", "nightly-failures").output
    assert "Deleted" in cli("automation", "delete", "nightly-failures").output
    missing: Any = cli("automation", "inspect", "nightly-failures")
    assert missing.exit_code != 0 and "no automation named" in missing.output


def test_bad_automation_file_is_one_line(
    cli: Callable[..., Any], tmp_path: Path, database_url: str
) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"name": "x", "trigger": {"posture": "Proactive"}}))
    result: Any = cli("automation", "create", "-f", str(spec))
    assert result.exit_code != 0
    assert "Proactive trigger needs within" in result.output
    assert "Traceback" not in result.output
