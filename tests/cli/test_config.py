"""``headwater config set | unset | view``."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.settings import get_settings, read_profiles
from tests.cli._run import run_cli


def test_set_view_unset(capsys: pytest.CaptureFixture[str], headwater_home: Path) -> None:
    code, out, _ = run_cli(
        capsys, "config", "set", "API_URL=http://127.0.0.1:9/api", "logging_level=debug"
    )
    assert code == 0 and "HEADWATER_API_URL" in out
    profile = read_profiles(headwater_home)["profiles"]["default"]
    assert profile == {
        "HEADWATER_API_URL": "http://127.0.0.1:9/api",
        "HEADWATER_LOGGING_LEVEL": "debug",
    }
    assert get_settings().logging_level == "DEBUG"
    code, out, _ = run_cli(capsys, "config", "view", "--show-sources")
    assert "HEADWATER_API_URL='http://127.0.0.1:9/api' (from profile default)" in out
    assert "HEADWATER_HEARTBEAT_SECONDS" not in out
    code, out, _ = run_cli(capsys, "config", "view", "--show-defaults")
    assert "HEADWATER_HEARTBEAT_SECONDS='30.0'" in out and "(from" not in out
    code, out, _ = run_cli(capsys, "config", "unset", "HEADWATER_API_URL")
    assert code == 0 and get_settings().api_url is None


def test_secrets_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "config", "set", "API_KEY=super-secret-1", "SERVER_API_KEY=s2")
    assert code == 0 and "super-secret-1" not in out
    _, out, _ = run_cli(capsys, "config", "view")
    assert "HEADWATER_API_KEY=********" in out and "super-secret-1" not in out
    _, out, _ = run_cli(capsys, "profile", "inspect")
    assert "super-secret-1" not in out and "s2" not in out.replace("HEADWATER", "")


def test_environment_wins_over_profile(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli(capsys, "config", "set", "LOGGING_LEVEL=ERROR")
    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "WARNING")
    assert get_settings().logging_level == "WARNING"
    code, out, err = run_cli(capsys, "config", "set", "LOGGING_LEVEL=DEBUG")
    assert code == 0 and "takes precedence" in err
    _, out, _ = run_cli(capsys, "config", "view", "--show-sources")
    assert "HEADWATER_LOGGING_LEVEL='WARNING' (from env)" in out


def test_unknown_names_and_bad_values_fail_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run_cli(capsys, "config", "set", "API_ULR=http://x")
    assert code == 1 and "did you mean HEADWATER_API_URL?" in err
    code, _, err = run_cli(capsys, "config", "set", "SERVER_PORT=http")
    assert code == 1 and "expected a whole number" in err
    code, _, err = run_cli(capsys, "config", "set", "API_URL=ftp://x")
    assert code == 1 and "http:// or https://" in err
    code, _, err = run_cli(capsys, "config", "set", "HOME=/tmp")
    assert code == 1 and "cannot be set in a profile" in err
    code, _, err = run_cli(capsys, "config", "set", "no-equals-sign")
    assert code == 1 and "KEY=VALUE" in err
    code, _, err = run_cli(capsys, "config", "unset", "API_URL")
    assert code == 1 and "not set in profile" in err
    monkeypatch.setenv("HEADWATER_LOGING_LEVEL", "DEBUG")
    code, _, err = run_cli(capsys, "config", "view")
    assert code == 0 and "did you mean HEADWATER_LOGGING_LEVEL?" in err
    assert all("Traceback" not in text for text in (err,))
