"""Settings: environment > active profile > defaults, and the server/client settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater import profiles
from headwater.exceptions import ConfigurationError
from headwater.settings import get_settings, settings_with_sources


def _profile(**values: str) -> None:
    data = profiles.load()
    data["profiles"]["default"].update(values)
    profiles.save(data)


def test_precedence_env_over_profile_over_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().server_port == 4200
    _profile(HEADWATER_SERVER_PORT="4300")
    settings, sources = settings_with_sources()
    assert settings.server_port == 4300 and sources["server_port"] == "profile default"
    monkeypatch.setenv("HEADWATER_SERVER_PORT", "4400")
    settings, sources = settings_with_sources()
    assert settings.server_port == 4400 and sources["server_port"] == "env"


def test_api_url_is_checked_and_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", "http://127.0.0.1:4200/api/")
    assert get_settings().api_url == "http://127.0.0.1:4200/api"
    monkeypatch.setenv("HEADWATER_API_URL", "")
    assert get_settings().api_url is None
    monkeypatch.setenv("HEADWATER_API_URL", "localhost:4200")
    with pytest.raises(ConfigurationError, match="http:// or https://"):
        get_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HEADWATER_SERVER_PORT", "70000", "between 1 and 65535"),
        ("HEADWATER_SERVER_PORT", "http", "whole number"),
        ("HEADWATER_API_RETRY_SECONDS", "-1", "positive"),
        ("HEADWATER_API_TIMEOUT_SECONDS", "nan", "finite"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message) as info:
        get_settings()
    assert name in str(info.value)


def test_server_api_key_is_a_secret_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater.settings import SETTINGS_BY_ENV

    assert SETTINGS_BY_ENV["HEADWATER_SERVER_API_KEY"].secret
    assert SETTINGS_BY_ENV["HEADWATER_API_KEY"].secret
    monkeypatch.setenv("HEADWATER_SERVER_API_KEY", "k")
    assert get_settings().server_api_key == "k"


def test_missing_profile_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, headwater_home: Path
) -> None:
    monkeypatch.setenv("HEADWATER_PROFILE", "nope")
    with pytest.raises(ConfigurationError, match="profile 'nope' does not exist"):
        get_settings()


def test_defaults(headwater_home: Path) -> None:
    settings = get_settings()
    assert settings.home == headwater_home
    assert settings.database_url_or_default == f"sqlite:///{headwater_home / 'headwater.db'}"
    assert settings.heartbeat_seconds == 30


def test_invalid_values_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "-1")
    with pytest.raises(ConfigurationError, match="HEADWATER_HEARTBEAT_SECONDS"):
        get_settings()
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "5")
    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "loud")
    with pytest.raises(ConfigurationError, match="LOGGING_LEVEL"):
        get_settings()


def test_unknown_names_suggest_the_closest() -> None:
    from headwater.settings import normalize_setting_name

    assert normalize_setting_name("logging_level") == "HEADWATER_LOGGING_LEVEL"
    with pytest.raises(ConfigurationError, match="did you mean HEADWATER_LOGGING_LEVEL"):
        normalize_setting_name("HEADWATER_LOGING_LEVEL")


def test_temporary_settings_restore() -> None:
    from headwater.settings import temporary_settings

    with temporary_settings(server_port=1234) as settings:
        assert settings.server_port == 1234
    assert get_settings().server_port == 4200
