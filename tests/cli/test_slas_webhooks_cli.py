"""``sla:`` in ``headwater.yaml`` and ``to_deployment(sla=)``; ``headwater deployment sla
ls | create | delete`` and ``headwater webhook ...`` on the embedded store."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from headwater import flow
from headwater.client import get_client
from headwater.exceptions import InvalidOptionError
from headwater.slas import FrequencySla, TimeToCompletionSla
from tests.cli._run import run_cli

FLOWS = """
from headwater import flow


@flow
def etl(n: int = 1) -> int:
    return n
"""

PROJECT = """
deployments:
  - name: hourly
    entrypoint: flows.py:etl
    sla:
      - name: time-to-completion
        duration: 600
        severity: high
      - name: lateness
        within: 60
      - name: daily
        stale_after: 90000
        labels: {team: data}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the current directory) with flows.py and headwater.yaml."""
    for name, text in (("flows.py", FLOWS), ("headwater.yaml", textwrap.dedent(PROJECT))):
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sla_in_headwater_yaml_and_the_sla_commands(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "deploy", "--all")
    assert code == 0, err
    code, out, _ = run_cli(capsys, "deployment", "sla", "ls", "etl/hourly")
    assert code == 0
    assert "SLAs of etl/hourly (3)" in out
    for words in ("time-to-completion", "lateness", "frequency", "90000", "high"):
        assert words in out
    code, out, _ = run_cli(
        capsys, "deployment", "sla", "create", "etl/hourly", "--name", "quick",
        "--type", "time-to-completion", "--duration", "30", "-l", "team=ops",
    )  # fmt: skip
    assert code == 0 and "Created SLA 'quick' of etl/hourly" in out
    with get_client() as client:
        found = client.read_deployment_slas(client.read_deployment_by_name("etl/hourly").id)
    assert {s.name: s.labels for s in found}["quick"] == {"team": "ops"}
    code, out, _ = run_cli(capsys, "deployment", "sla", "delete", "etl/hourly", "quick")
    assert code == 0 and "Deleted SLA 'quick'" in out
    code, _, err = run_cli(capsys, "deployment", "sla", "delete", "etl/hourly", "quick")
    assert code == 1 and "has no SLA 'quick'" in err
    code, _, err = run_cli(
        capsys, "deployment", "sla", "create", "etl/hourly", "--name", "x",
        "--type", "soon", "--duration", "3",
    )  # fmt: skip
    assert code == 1 and "type" in err and "Traceback" not in err
    code, out, _ = run_cli(capsys, "deployment", "sla", "delete", "etl/hourly", "--all")
    assert code == 0 and out.count("Deleted SLA") == 3


def test_a_bad_sla_in_headwater_yaml_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "headwater.yaml").write_text(
        "deployments:\n  - name: hourly\n    entrypoint: flows.py:etl\n    sla:\n"
        "      - name: nothing-said\n"
    )
    code, _, err = run_cli(capsys, "deploy", "--all")
    assert code == 1
    assert "sla[0]" in err and "Field required" in err and "Traceback" not in err


@flow
def sla_flow() -> None:
    pass


def test_to_deployment_takes_sla_objects(database_url: str) -> None:
    made = sla_flow.to_deployment(
        "checked", sla=TimeToCompletionSla(name="t", duration=5, severity="critical")
    )
    deployment_id = made.apply()
    with get_client() as client:
        [sla] = client.read_deployment_slas(deployment_id)
        assert (sla.name, sla.type, sla.duration, sla.severity) == (
            "t", "time-to-completion", 5.0, "critical",
        )  # fmt: skip
        sla_flow.to_deployment("checked", sla=[FrequencySla(name="f", stale_after=60)]).apply()
        assert [s.name for s in client.read_deployment_slas(deployment_id)] == ["f"]
    with pytest.raises(InvalidOptionError, match=r"sla\[0\] must be an SLA"):
        sla_flow.to_deployment("checked", sla=["5 minutes"])
    with pytest.raises(InvalidOptionError, match="names are unique"):
        sla_flow.to_deployment(
            "checked",
            sla=[FrequencySla(name="f", stale_after=60), FrequencySla(name="f", duration=9)],
        )


def test_webhook_commands(cli: Callable[..., Any], database_url: str) -> None:
    template = '{"event": "shop.paid", "resource": {"headwater.resource.id": "o.{{ body.id }}"}}'
    made: Any = cli("webhook", "create", "shop", "--template", template, "-d", "orders")
    assert made.exit_code == 0, made.output
    assert "Created webhook 'shop'" in made.output and "/api/hooks/" in made.output
    shown = json.loads(cli("webhook", "inspect", "shop").output)
    assert shown["template"] == template and shown["url"].endswith(shown["slug"])
    assert "shop" in cli("webhook", "ls").output
    assert "Disabled webhook 'shop'" in cli("webhook", "toggle", "shop").output
    assert "disabled" in cli("webhook", "ls").output
    assert "Enabled webhook 'shop'" in cli("webhook", "enable", "shop").output
    assert "Disabled webhook 'shop'" in cli("webhook", "disable", "shop").output
    rotated: Any = cli("webhook", "rotate", "shop")
    assert rotated.exit_code == 0 and shown["slug"] not in rotated.output
    bad: Any = cli("webhook", "create", "other", "--template", "{{ body.id ")
    assert bad.exit_code == 1 and "not valid Jinja" in bad.output
    assert "Traceback" not in bad.output
    again: Any = cli("webhook", "create", "shop", "--template", template)
    assert again.exit_code == 1 and "a webhook named 'shop' exists" in again.output
    assert "Deleted webhook 'shop'" in cli("webhook", "delete", "shop").output
    missing: Any = cli("webhook", "inspect", "shop")
    assert missing.exit_code == 1 and "no webhook named 'shop'" in missing.output
