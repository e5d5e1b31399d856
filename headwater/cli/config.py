"""``headwater config set KEY=VALUE | unset KEY | view``: settings of the active profile.

Precedence: environment variables > the active profile > defaults.  Secret settings
(API keys) are never printed.
"""

from __future__ import annotations

import os

import typer
from rich.markup import escape

from headwater.cli.output import console, err_console

app = typer.Typer(help="View and change settings of the active profile.", no_args_is_help=True)

MASK = "********"


def shown(env_name: str, value: object) -> str:
    """A value as ``config view`` prints it: secrets masked."""
    from headwater.settings import SETTINGS_BY_ENV

    setting = SETTINGS_BY_ENV.get(env_name)
    if setting is not None and setting.secret and value not in (None, ""):
        return MASK
    return repr(str(value)) if value is not None else "None"


@app.command("set")
def set_values(
    assignments: list[str] = typer.Argument(..., help="KEY=VALUE pairs, e.g. API_URL=http://…"),
) -> None:
    """Set settings in the active profile."""
    from headwater import profiles

    data = profiles.load()
    name = profiles.active_name(data)
    target = profiles.require_profile(data, name)
    parsed = [profiles.parse_assignment(text) for text in assignments]
    for env_name, value in parsed:
        target[env_name] = value
    path = profiles.save(data)
    for env_name, value in parsed:
        console().print(f"Set {env_name}={escape(shown(env_name, value))} in profile {name!r}.")
        _warn_if_overridden(env_name)
    console().print(f"[dim]Saved {path}[/dim]")


@app.command("unset")
def unset_values(keys: list[str] = typer.Argument(..., help="Settings to remove.")) -> None:
    """Remove settings from the active profile (they fall back to their defaults)."""
    from headwater import profiles

    data = profiles.load()
    name = profiles.active_name(data)
    target = profiles.require_profile(data, name)
    env_names = [profiles.check_settable(key) for key in keys]
    missing = [env_name for env_name in env_names if env_name not in target]
    if missing:
        from headwater.cli.output import fail

        fail(
            f"{', '.join(missing)} is not set in profile {name!r}",
            "`headwater config view --show-sources` shows where each setting comes from",
        )
    for env_name in env_names:
        del target[env_name]
    profiles.save(data)
    for env_name in env_names:
        console().print(f"Unset {env_name} in profile {name!r}.")
        _warn_if_overridden(env_name)


def _warn_if_overridden(env_name: str) -> None:
    if env_name in os.environ:
        err_console().print(
            f"[yellow]Note:[/yellow] {env_name} is also set in the environment, "
            "which takes precedence over the profile."
        )


@app.command("view")
def view(
    show_sources: bool = typer.Option(
        False, "--show-sources", help="Say where each value comes from (env, profile, default)."
    ),
    show_defaults: bool = typer.Option(
        False, "--show-defaults", help="Also list settings left at their defaults."
    ),
) -> None:
    """Show the settings in effect (secrets masked)."""
    from headwater.settings import declared_settings, settings_with_sources

    settings, sources = settings_with_sources()
    origin = "env" if os.environ.get("HEADWATER_PROFILE") else "profiles.toml"
    console().print(f"PROFILE={settings.profile!r}" + _source(origin, show_sources))
    for setting in declared_settings():
        if setting.field == "profile":
            continue
        source = sources[setting.field]
        if source == "default" and not show_defaults:
            continue
        value = getattr(settings, setting.field)
        if isinstance(value, list):
            value = ",".join(value)
        line = f"{setting.env_name}={escape(shown(setting.env_name, value))}"
        console().print(line + _source(source, show_sources))
    _warn_unknown()


def _source(source: str, show: bool) -> str:
    return f" [dim](from {source})[/dim]" if show else ""


def _warn_unknown() -> None:
    """Settings that look like Headwater's but are not (typos) are worth a line."""
    from headwater import profiles
    from headwater.exceptions import ConfigurationError
    from headwater.settings import SETTINGS_BY_ENV, unknown_setting_error

    data = profiles.load()
    profile = data["profiles"].get(profiles.active_name(data), {})
    names = [(n, "environment") for n in os.environ if n.startswith("HEADWATER_")]
    names += [(n, "profile") for n in profile]
    for name, where in names:
        if name in SETTINGS_BY_ENV or name.startswith("HEADWATER_TEST_"):
            continue
        error: ConfigurationError = unknown_setting_error(name)
        err_console().print(f"[yellow]Warning:[/yellow] {escape(str(error))} (in the {where})")
