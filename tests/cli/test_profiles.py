"""``headwater profile ls | create | use | delete | inspect``."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.settings import get_settings
from tests._servers import SharedServers
from tests.cli._run import run_cli


def test_create_use_inspect_delete(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "config", "set", "LOGGING_LEVEL=ERROR")
    code, out, _ = run_cli(capsys, "profile", "create", "ci", "--from", "default")
    assert code == 0 and "Created profile 'ci'" in out
    code, out, _ = run_cli(capsys, "profile", "use", "ci")
    assert code == 0 and "local embedded store" in out
    assert get_settings().profile == "ci" and get_settings().logging_level == "ERROR"
    run_cli(capsys, "config", "set", "LOGGING_LEVEL=DEBUG")
    _, out, _ = run_cli(capsys, "profile", "ls")
    assert out.splitlines() == ["* ci", "  default"]
    _, out, _ = run_cli(capsys, "profile", "inspect", "default")
    assert "HEADWATER_LOGGING_LEVEL='ERROR'" in out
    code, _, err = run_cli(capsys, "profile", "delete", "ci")
    assert code == 1 and "is active" in err
    run_cli(capsys, "profile", "use", "default")
    code, out, _ = run_cli(capsys, "profile", "delete", "ci")
    assert code == 0 and get_settings().logging_level == "ERROR"


def test_profile_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "profile", "create", "staging")
    code, _, err = run_cli(capsys, "profile", "use", "stagin")
    assert code == 1 and "did you mean 'staging'?" in err
    code, _, err = run_cli(capsys, "profile", "create", "staging")
    assert code == 1 and "already exists" in err
    code, _, err = run_cli(capsys, "profile", "create", "bad name!")
    assert code == 1 and "invalid profile name" in err
    monkeypatch.setenv("HEADWATER_PROFILE", "staging")
    _, out, _ = run_cli(capsys, "profile", "ls")
    assert "* staging" in out


def test_use_reports_whether_the_server_answers(
    capsys: pytest.CaptureFixture[str], shared_servers: SharedServers
) -> None:
    run_cli(capsys, "profile", "create", "remote")
    run_cli(capsys, "profile", "use", "remote")
    run_cli(capsys, "config", "set", "API_URL=http://127.0.0.1:9")
    run_cli(capsys, "profile", "use", "default")
    code, _, err = run_cli(capsys, "profile", "use", "remote")
    assert code == 0 and "does not answer" in err
    server = shared_servers.get("sqlite")
    run_cli(capsys, "config", "set", f"API_URL={server.url}")
    code, out, _ = run_cli(capsys, "profile", "use", "remote")
    assert code == 0 and f"Connected to the Headwater server at {server.api_url}" in out


def test_profiles_file_round_trips_awkward_values(
    capsys: pytest.CaptureFixture[str], headwater_home: Path
) -> None:
    from headwater import profiles

    data = profiles.load()
    data["profiles"]["default"]["HEADWATER_API_KEY"] = 'quote " back \\ tab \t nl \n é'
    data["profiles"]["x.y"] = {"HEADWATER_SERVER_PORT": 4300, "HEADWATER_LOGGING_CONSOLE": False}
    profiles.save(data)
    assert profiles.load() == data
    assert (headwater_home / "profiles.toml").stat().st_mode & 0o777 == 0o600
    assert get_settings().api_key == 'quote " back \\ tab \t nl \n é'
