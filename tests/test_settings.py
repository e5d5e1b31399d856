"""Settings: environment over profile over defaults, typed and validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.exceptions import ConfigurationError
from headwater.settings import (
    get_settings,
    normalize_setting_name,
    settings_with_sources,
    temporary_settings,
)


def _write_profiles(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "profiles.toml").write_text(text)


def test_defaults(headwater_home: Path) -> None:
    settings = get_settings()
    assert settings.home == headwater_home
    assert settings.database_url_or_default == f"sqlite:///{headwater_home / 'headwater.db'}"
    assert settings.heartbeat_seconds == 30
    assert settings.server_port == 4200


def test_env_overrides_profile_overrides_default(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_profiles(
        headwater_home,
        'active = "dev"\n[profiles.dev]\nHEADWATER_SERVER_PORT = 5000\n'
        'HEADWATER_LOGGING_LEVEL = "debug"\n',
    )
    settings, sources = settings_with_sources()
    assert settings.server_port == 5000 and settings.logging_level == "DEBUG"
    assert sources["server_port"] == "profile dev"
    monkeypatch.setenv("HEADWATER_SERVER_PORT", "6000")
    settings, sources = settings_with_sources()
    assert settings.server_port == 6000 and sources["server_port"] == "env"
    assert sources["heartbeat_seconds"] == "default"


def test_selecting_a_missing_profile_is_an_error(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_PROFILE", "nope")
    with pytest.raises(ConfigurationError, match="profile 'nope' does not exist"):
        get_settings()


def test_invalid_values_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "-1")
    with pytest.raises(ConfigurationError, match="HEADWATER_HEARTBEAT_SECONDS"):
        get_settings()
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "5")
    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "loud")
    with pytest.raises(ConfigurationError, match="LOGGING_LEVEL"):
        get_settings()


def test_unknown_names_suggest_the_closest() -> None:
    assert normalize_setting_name("logging_level") == "HEADWATER_LOGGING_LEVEL"
    with pytest.raises(ConfigurationError, match="did you mean HEADWATER_LOGGING_LEVEL"):
        normalize_setting_name("HEADWATER_LOGING_LEVEL")


def test_temporary_settings_restore() -> None:
    with temporary_settings(server_port=1234) as settings:
        assert settings.server_port == 1234
    assert get_settings().server_port == 4200
