"""Profiles: named groups of settings in ``$HEADWATER_HOME/profiles.toml``.

The file is read by ``headwater.settings`` and written only here: the whole file is
rewritten atomically (temporary file + rename, mode 0600 since it may hold API
keys).  Values are TOML strings, numbers or booleans, so a small writer suffices.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from headwater.exceptions import ConfigurationError
from headwater.settings import (
    SETTINGS_BY_ENV,
    invalidate_settings_cache,
    normalize_setting_name,
    read_profiles,
)

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Settings a profile cannot hold (they decide which profile file is read).
NOT_IN_PROFILES = {
    "HEADWATER_HOME": "profiles live inside HEADWATER_HOME; set the environment variable",
    "HEADWATER_PROFILE": "use `headwater profile use NAME` to change the active profile",
}


def home_dir() -> Path:
    raw = os.environ.get("HEADWATER_HOME") or "~/.headwater"
    return Path(raw).expanduser()


def load() -> dict[str, Any]:
    return read_profiles(home_dir())


def active_name(data: dict[str, Any]) -> str:
    """The profile in effect: ``HEADWATER_PROFILE`` if set, else the file's active one."""
    return os.environ.get("HEADWATER_PROFILE") or str(data["active"])


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name):
        raise ConfigurationError(
            f"invalid profile name {name!r}: use letters, digits, '_', '-' or '.' "
            "(at most 64, starting with a letter or digit)"
        )
    return name


def require_profile(data: dict[str, Any], name: str) -> dict[str, Any]:
    profiles: dict[str, Any] = data["profiles"]
    if name not in profiles:
        close = difflib.get_close_matches(name, list(profiles), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; `headwater profile ls` lists them"
        raise ConfigurationError(f"profile {name!r} does not exist{hint}")
    found: dict[str, Any] = profiles[name]
    return found


def parse_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` → (``HEADWATER_KEY``, value), the value checked by the setting."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ConfigurationError(f"expected KEY=VALUE, got {text!r}")
    env_name = check_settable(key)
    setting = SETTINGS_BY_ENV[env_name]
    try:
        setting.convert(value)
    except ValueError as exc:
        raise ConfigurationError(f"invalid value for {env_name}: {exc}") from None
    return env_name, value


def check_settable(key: str) -> str:
    env_name = normalize_setting_name(key)
    reason = NOT_IN_PROFILES.get(env_name)
    if reason is not None:
        raise ConfigurationError(f"{env_name} cannot be set in a profile: {reason}")
    return env_name


def save(data: dict[str, Any]) -> Path:
    """Write ``data`` (as returned by ``load``) to the profiles file atomically."""
    home = home_dir()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {home}: {exc.strerror or exc}") from None
    path = home / "profiles.toml"
    text = dumps(data)
    fd, temp = tempfile.mkstemp(prefix=".profiles-", suffix=".toml", dir=home)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        invalidate_settings_cache()
    return path


# -- a TOML writer for this file's shapes --------------------------------------------


def dumps(data: dict[str, Any]) -> str:
    lines = [
        "# Headwater profiles. Edit with `headwater profile ...` and `headwater config ...`.",
        f"active = {_value(str(data.get('active', 'default')))}",
    ]
    for key, value in data.items():
        if key not in ("active", "profiles") and not isinstance(value, dict):
            lines.append(f"{_key(key)} = {_value(value)}")
    for name, settings in data.get("profiles", {}).items():
        lines.append("")
        lines.append(f"[profiles.{_key(name)}]")
        for key, value in settings.items():
            lines.append(f"{_key(key)} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    return _string(str(value))


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
