"""Settings: environment variables override the active profile, which overrides defaults.

A deliberately small module rather than pydantic-settings: importing pydantic-settings
costs ~150-200 ms on our 2-core reference machine, a third of the whole hello-world
budget (0.5 s).  Every setting is declared once in ``_DECLARED`` with its type, default
and a one-line description; ``Settings`` is the typed, frozen result.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from headwater.exceptions import ConfigurationError

ENV_PREFIX = "HEADWATER_"


def _to_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _to_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _to_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return value


def _number(raw: str, kind: type) -> Any:
    try:
        return kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"expected {what}, got {raw!r}") from None


def _to_positive_float(raw: str) -> float:
    value = _number(raw, float)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite number, got {raw!r}")
    if value <= 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _to_days(raw: str) -> float:
    value = _number(raw, float)
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError(f"expected a number of days, 0 or more (0 = keep forever), got {raw!r}")
    return value


def _to_positive_int(raw: str) -> int:
    value = _number(raw, int)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _to_port(raw: str) -> int:
    value = _number(raw, int)
    if not 0 < value < 65536:
        raise ValueError(f"expected a port number between 1 and 65535, got {raw!r}")
    return value


def _to_path(raw: str) -> Path:
    return Path(raw).expanduser()


def _to_optional_str(raw: str) -> str | None:
    return raw or None


def _to_optional_url(raw: str) -> str | None:
    value = raw.strip().rstrip("/")
    if not value:
        return None
    if not value.lower().startswith(("http://", "https://")) or value[-3:] == "://":
        raise ValueError(f"expected an http:// or https:// URL, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One declared setting: its environment name, converter, default and meaning."""

    field: str
    convert: Callable[[str], Any]
    default: Any
    description: str
    secret: bool = False

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + self.field.upper()


_DECLARED: tuple[Setting, ...] = (
    Setting("home", _to_path, "~/.headwater", "Directory for the embedded store, profiles, keys."),
    Setting("profile", _to_optional_str, None, "Name of the profile to use instead of the active."),
    Setting("api_url", _to_optional_url, None, "Server API URL; unset = embedded local store."),
    Setting("api_key", _to_optional_str, None, "API key sent to the server.", secret=True),
    Setting(
        "api_timeout_seconds", _to_positive_float, "30", "Timeout of one request to the server."
    ),
    Setting(
        "api_retry_seconds",
        _to_positive_float,
        "30",
        "How long a flow run keeps retrying an unreachable server before giving up.",
    ),
    Setting(
        "api_start_timeout_seconds",
        _to_positive_float,
        "5",
        "How long a flow run waits for a server that does not answer before it starts.",
    ),
    Setting("database_url", _to_optional_str, None, "SQLAlchemy URL; default SQLite in home."),
    Setting("logging_level", _to_level, "INFO", "Level of run logs shown and stored."),
    Setting("logging_extra_loggers", _to_list, "", "Other loggers whose records join run logs."),
    Setting("logging_to_store", _to_bool, "true", "Store run logs (in the store or server)."),
    Setting("logging_console", _to_bool, "true", "Print run logs to the console."),
    Setting("heartbeat_seconds", _to_positive_float, "30", "Flow-run process heartbeat interval."),
    Setting("zombie_after_seconds", _to_positive_float, "90", "No heartbeat this long: Crashed."),
    Setting("late_after_seconds", _to_positive_float, "15", "Scheduled this long ago: Late."),
    Setting("services_loop_seconds", _to_positive_float, "5", "Server background services loop."),
    Setting("worker_poll_seconds", _to_positive_float, "5", "Worker poll when not woken."),
    Setting(
        "worker_heartbeat_seconds",
        _to_positive_float,
        "30",
        "Worker heartbeat; a worker not seen for 3 heartbeats is shown offline.",
    ),
    Setting(
        "cancel_grace_seconds",
        _to_positive_float,
        "30",
        "After SIGTERM, how long a cancelled run's processes have before SIGKILL.",
    ),
    Setting("services_enabled", _to_bool, "true", "Run the server's background services."),
    Setting("ui_enabled", _to_bool, "true", "Serve the web UI at / (the API stays at /api)."),
    Setting(
        "ui_session_idle_seconds",
        _to_positive_float,
        "43200",
        "A UI session with no request for this long is signed out (with an API key set).",
    ),
    Setting(
        "ui_session_lifetime_seconds",
        _to_positive_float,
        "604800",
        "A UI session ends this long after sign-in, however active (with an API key set).",
    ),
    Setting("scheduler_min_runs", _to_positive_int, "3", "Scheduled runs kept per schedule."),
    Setting("scheduler_max_runs", _to_positive_int, "100", "Most runs scheduled per schedule."),
    Setting(
        "scheduler_min_scheduled_seconds",
        _to_positive_float,
        "3600",
        "Schedule runs at least this far ahead (beyond the minimum count).",
    ),
    Setting(
        "scheduler_max_scheduled_days",
        _to_positive_float,
        "100",
        "Schedule no further ahead than this (once the minimum count is met).",
    ),
    Setting("server_host", str, "127.0.0.1", "Address the server binds."),
    Setting("server_port", _to_port, "4200", "Port the server binds."),
    Setting(
        "server_api_key",
        _to_optional_str,
        None,
        "API key the server requires (Authorization: Bearer); unset = no auth.",
        secret=True,
    ),
    Setting("writer_flush_seconds", _to_positive_float, "0.2", "Batching writer flush interval."),
    Setting("writer_batch_size", _to_positive_int, "1000", "Batching writer flush size."),
    Setting("sqlite_busy_timeout_seconds", _to_positive_float, "60", "SQLite lock wait limit."),
    Setting(
        "encryption_key",
        _to_optional_str,
        None,
        "Fernet key for block secrets; default: a key kept in $HEADWATER_HOME/encryption.key.",
        secret=True,
    ),
    Setting("results_storage", _to_optional_str, None, "Result storage URL; default home/storage."),
    Setting("results_persist_by_default", _to_bool, "false", "Persist results of every run."),
    Setting("results_serializer", str, "pickle", "Serializer of persisted results."),
    Setting("results_refresh_cache", _to_bool, "false", "Ignore cached results (recompute)."),
    Setting("results_lock_timeout_seconds", _to_positive_float, "60", "Cache lock wait limit."),
    Setting(
        "lease_seconds",
        _to_positive_float,
        "60",
        "How long a held concurrency slot or lock outlives its holder's last renewal.",
    ),
    Setting(
        "retention_days",
        _to_days,
        "30",
        "Finished flow runs older than this many days are deleted; 0 = keep forever.",
    ),
    Setting(
        "events_store_task_runs",
        _to_bool,
        "false",
        "Also store task-run state events (automations on a server see them either way).",
    ),
    Setting("events_retention_days", _to_positive_float, "7", "Events older than this go."),
    Setting(
        "engine_gc_freeze",
        _to_bool,
        "true",
        "While flow runs go, keep older objects out of the garbage collector's full passes.",
    ),
)

SETTINGS_BY_ENV: dict[str, Setting] = {s.env_name: s for s in _DECLARED}


@dataclass(frozen=True)
class Settings:
    """Resolved settings for this process (see ``get_settings``)."""

    home: Path
    profile: str | None
    api_url: str | None
    api_key: str | None
    api_timeout_seconds: float
    api_retry_seconds: float
    api_start_timeout_seconds: float
    database_url: str | None
    logging_level: str
    logging_extra_loggers: list[str]
    logging_to_store: bool
    logging_console: bool
    heartbeat_seconds: float
    zombie_after_seconds: float
    late_after_seconds: float
    services_loop_seconds: float
    worker_poll_seconds: float
    worker_heartbeat_seconds: float
    cancel_grace_seconds: float
    services_enabled: bool
    ui_enabled: bool
    ui_session_idle_seconds: float
    ui_session_lifetime_seconds: float
    scheduler_min_runs: int
    scheduler_max_runs: int
    scheduler_min_scheduled_seconds: float
    scheduler_max_scheduled_days: float
    server_host: str
    server_port: int
    server_api_key: str | None
    writer_flush_seconds: float
    writer_batch_size: int
    sqlite_busy_timeout_seconds: float
    encryption_key: str | None
    results_storage: str | None
    results_persist_by_default: bool
    results_serializer: str
    results_refresh_cache: bool
    results_lock_timeout_seconds: float
    lease_seconds: float
    retention_days: float
    events_store_task_runs: bool
    events_retention_days: float
    engine_gc_freeze: bool

    @property
    def database_url_or_default(self) -> str:
        """The store's URL: the configured one, or the SQLite file in ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'headwater.db'}"

    @property
    def results_storage_or_default(self) -> str:
        """Where persisted results go: the configured URL/path, or ``home/storage``."""
        return self.results_storage or str(self.home / "storage")

    @property
    def profiles_path(self) -> Path:
        return self.home / "profiles.toml"


def _check_declarations() -> None:
    declared = {s.field for s in _DECLARED}
    annotated = {f.name for f in fields(Settings)}
    if declared != annotated:  # pragma: no cover - a programming error caught by tests
        raise RuntimeError(f"settings out of sync: {sorted(declared ^ annotated)}")


_check_declarations()


def unknown_setting_error(name: str) -> ConfigurationError:
    """An error for a setting name that does not exist, naming the closest valid one."""
    upper = name.strip().upper()
    if not upper.startswith(ENV_PREFIX):
        upper = ENV_PREFIX + upper
    close = difflib.get_close_matches(upper, list(SETTINGS_BY_ENV), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else "; see `headwater config view`"
    return ConfigurationError(f"unknown setting {name!r}{hint}")


def normalize_setting_name(name: str) -> str:
    """Accept ``logging_level``, ``LOGGING_LEVEL`` or ``HEADWATER_LOGGING_LEVEL``."""
    upper = name.strip().upper()
    if not upper.startswith(ENV_PREFIX):
        upper = ENV_PREFIX + upper
    if upper not in SETTINGS_BY_ENV:
        raise unknown_setting_error(name)
    return upper


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (FileNotFoundError, NotADirectoryError):
        return {}  # no profiles yet (an unusable home is reported when the store opens)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read profiles file {path}: {exc}") from None


def read_profiles(home: Path) -> dict[str, Any]:
    """The parsed ``profiles.toml``: ``{"active": name, "profiles": {name: {ENV: value}}}``."""
    data = _read_toml(home / "profiles.toml")
    data.setdefault("active", "default")
    data.setdefault("profiles", {})
    data["profiles"].setdefault("default", {})
    return data


def _resolve(env: Mapping[str, str]) -> tuple[Settings, dict[str, str]]:
    """Resolve every setting; also return where each value came from."""
    home_raw = env.get("HEADWATER_HOME") or "~/.headwater"
    home = _to_path(home_raw)
    profiles = read_profiles(home)
    profile_name = env.get("HEADWATER_PROFILE") or profiles["active"]
    profile = profiles["profiles"].get(profile_name)
    if profile is None:
        raise ConfigurationError(
            f"profile {profile_name!r} does not exist; `headwater profile ls` lists profiles"
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in _DECLARED:
        if setting.env_name in env:
            raw, source = env[setting.env_name], "env"
        elif setting.env_name in profile and setting.field not in ("home", "profile"):
            raw, source = str(profile[setting.env_name]), f"profile {profile_name}"
        else:
            raw, source = setting.default, "default"
        if raw is None:
            values[setting.field] = None
        else:
            try:
                values[setting.field] = setting.convert(str(raw))
            except ValueError as exc:
                raise ConfigurationError(f"invalid {setting.env_name} ({source}): {exc}") from None
        sources[setting.field] = source
    values["profile"] = profile_name
    return Settings(**values), sources


_Resolved = tuple[Settings, dict[str, str]]
_cache: dict[tuple[Any, ...], _Resolved] = {}


def _profiles_stat(path: str) -> tuple[int, int, int, int]:
    """What identifies one version of the profiles file (all zero when it is missing).

    The inode catches ``profiles.save``'s rename even within one mtime tick.
    """
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0, 0, 0)
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _profiles_file(env: Mapping[str, str]) -> str:
    return os.path.join(
        os.path.expanduser(env.get("HEADWATER_HOME") or "~/.headwater"), "profiles.toml"
    )


def _cache_key() -> tuple[Any, ...]:
    """The full fingerprint: every HEADWATER_* variable and the profiles file's version."""
    relevant = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    return (relevant, _profiles_stat(_profiles_file(os.environ)))


def _lookup() -> _Resolved:
    """Resolve through the fingerprint cache (scans the whole environment: ~30 µs)."""
    key = _cache_key()
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) > 32:
            _cache.clear()
        cached = _cache[key] = _resolve(os.environ)
    return cached


class _Fast:
    """The last answer with what it was computed from, swapped in as one object.

    ``environ`` is ``os.environ``'s backing dict (``_data``: every ``os.environ[...] =``,
    ``del``, ``pop`` and ``monkeypatch.setenv`` writes it) and ``snapshot`` a copy of it
    taken before resolving; comparing the two is one C-level dict comparison (about a
    microsecond for a hundred variables, identical values short-circuit), so any
    environment change, in place or not, sends the next call to the full lookup.
    """

    __slots__ = ("environ", "path", "resolved", "snapshot", "stat")

    def __init__(
        self,
        environ: object,
        snapshot: dict[Any, Any],
        path: str,
        stat: tuple[int, int, int, int],
        resolved: _Resolved,
    ) -> None:
        self.environ = environ
        self.snapshot = snapshot
        self.path = path
        self.stat = stat
        self.resolved = resolved


_fast: _Fast | None = None


def invalidate_settings_cache() -> None:
    """Forget cached settings (``profiles.save`` calls it after rewriting the file)."""
    global _fast
    _fast = None
    _cache.clear()


def get_settings() -> Settings:
    """The settings in effect now (cached until the environment or profiles change)."""
    return settings_with_sources()[0]


def settings_with_sources() -> _Resolved:
    global _fast
    environ = os.environ
    data = getattr(environ, "_data", None)
    fast = _fast
    if (
        fast is not None
        and fast.environ is environ
        and data == fast.snapshot
        and _profiles_stat(fast.path) == fast.stat
    ):
        return fast.resolved
    if not isinstance(data, dict):  # os.environ replaced by something else: no fast path
        return _lookup()
    # Snapshot and stat before resolving: a change racing with this call then shows as
    # a difference on the next one rather than being hidden behind an older answer.
    snapshot = data.copy()
    path = _profiles_file(environ)
    stat = _profiles_stat(path)
    resolved = _lookup()
    _fast = _Fast(environ, snapshot, path, stat, resolved)
    return resolved


@contextmanager
def temporary_settings(**overrides: Any) -> Iterator[Settings]:
    """Set settings for the duration of a block (by field name), mainly for tests."""
    saved: dict[str, str | None] = {}
    for field_name, value in overrides.items():
        env_name = normalize_setting_name(field_name)
        saved[env_name] = os.environ.get(env_name)
        if value is None:
            os.environ.pop(env_name, None)
        else:
            os.environ[env_name] = str(value)
    try:
        yield get_settings()
    finally:
        for env_name, old in saved.items():
            if old is None:
                os.environ.pop(env_name, None)
            else:
                os.environ[env_name] = old


def declared_settings() -> tuple[Setting, ...]:
    return _DECLARED


#: Prefect's name for ``get_settings``.
get_current_settings = get_settings


def __getattr__(name: str) -> Any:
    """``HEADWATER_API_URL`` and the like: setting objects with ``.value()``."""
    field = name[len("HEADWATER_") :].lower() if name.startswith("HEADWATER_") else ""
    if field not in Settings.__dataclass_fields__:
        raise AttributeError(f"module 'headwater.settings' has no attribute {name!r}")
    from headwater.setting_refs import SettingRef

    return SettingRef(name, field, get_settings)
