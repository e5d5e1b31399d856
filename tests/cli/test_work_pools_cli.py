"""``headwater work-pool create --type T [--base-job-template FILE]``, ``update`` and
``get-default-base-job-template`` against the embedded store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from headwater.client import get_client
from tests.cli._run import run_cli


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HEADWATER_API_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def _pool(name: str) -> Any:
    with get_client() as client:
        return client.read_work_pool(name)


def test_create_gives_the_pool_its_types_template(capsys: pytest.CaptureFixture[str]) -> None:
    name = f"p-{uuid.uuid4().hex[:6]}"
    code, out, err = run_cli(capsys, "work-pool", "create", name)
    assert code == 0, err
    pool = _pool(name)
    assert pool.type == "process"
    assert pool.base_job_template["variables"]["properties"]["env"]["default"] == {}
    code, out, _ = run_cli(capsys, "work-pool", "inspect", name)
    assert "Job variables (2)" in out and "working_dir" in out


def test_template_file_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "template.json"
    code, _, err = run_cli(
        capsys, "work-pool", "get-default-base-job-template", "--type", "process", "-f", str(path)
    )
    assert code == 0, err
    template = json.loads(path.read_text())
    template["variables"]["properties"]["env"]["default"] = {"TEAM": "data"}
    path.write_text(json.dumps(template))
    name = f"p-{uuid.uuid4().hex[:6]}"
    assert run_cli(capsys, "work-pool", "create", name, "--base-job-template", str(path))[0] == 0
    assert _pool(name).base_job_template == template
    template["variables"]["properties"]["env"]["default"] = {"TEAM": "ml"}
    path.write_text(json.dumps(template))
    code, _, err = run_cli(capsys, "work-pool", "update", name, "--base-job-template", str(path))
    assert code == 0, err
    assert _pool(name).base_job_template == template


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "work-pool", "create", "x", "--type", "nope")
    assert code == 1 and "unknown worker type 'nope'" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"image": "x"}')
    code, _, err = run_cli(capsys, "work-pool", "create", "x", "--base-job-template", str(bad))
    assert code == 1 and "only 'job_configuration' and 'variables'" in err
    bad.write_text("{not json")
    code, _, err = run_cli(capsys, "work-pool", "create", "x", "--base-job-template", str(bad))
    assert code == 1 and "is not JSON" in err
    code, _, err = run_cli(capsys, "work-pool", "update", "x")
    assert code == 1 and "nothing to change" in err
    assert "Traceback" not in err
