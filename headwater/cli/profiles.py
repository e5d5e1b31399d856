"""``headwater profile ls | create | use | delete | inspect``: named groups of settings."""

from __future__ import annotations

import typer
from rich.markup import escape

from headwater.cli.output import console, err_console, fail

app = typer.Typer(help="Manage settings profiles.", no_args_is_help=True)


@app.command("ls")
def list_profiles() -> None:
    """List profiles; the active one is marked with *."""
    from headwater import profiles

    data = profiles.load()
    active = profiles.active_name(data)
    for name in sorted(data["profiles"]):
        marker = "*" if name == active else " "
        console().print(f"{marker} {escape(name)}")
    if active not in data["profiles"]:
        err_console().print(
            f"[yellow]Warning:[/yellow] the active profile {active!r} (HEADWATER_PROFILE) "
            "does not exist"
        )


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Name of the new profile."),
    from_name: str = typer.Option(None, "--from", help="Copy the settings of this profile."),
) -> None:
    """Create a profile (empty, or a copy of another with --from)."""
    from headwater import profiles

    data = profiles.load()
    profiles.check_profile_name(name)
    if name in data["profiles"]:
        fail(f"profile {name!r} already exists", f"`headwater profile inspect {name}` shows it")
    settings = dict(profiles.require_profile(data, from_name)) if from_name else {}
    data["profiles"][name] = settings
    profiles.save(data)
    source = f" from {from_name!r}" if from_name else ""
    console().print(
        f"Created profile {name!r}{source}. Switch to it with `headwater profile use {name}`."
    )


@app.command("use")
def use(name: str = typer.Argument(..., help="The profile to make active.")) -> None:
    """Make a profile the active one."""
    import os

    from headwater import profiles

    data = profiles.load()
    settings = profiles.require_profile(data, name)
    data["active"] = name
    profiles.save(data)
    console().print(f"Now using profile {name!r}.")
    if os.environ.get("HEADWATER_PROFILE") not in (None, "", name):
        err_console().print(
            "[yellow]Note:[/yellow] HEADWATER_PROFILE is set in the environment and "
            "takes precedence in this shell."
        )
    api_url = os.environ.get("HEADWATER_API_URL") or settings.get("HEADWATER_API_URL")
    if api_url:
        _report_server(str(api_url))
    else:
        console().print("Runs are stored in the local embedded store (no HEADWATER_API_URL).")


def _report_server(api_url: str) -> None:
    """One line on whether the profile's server answers (a hint, never an error)."""
    import httpx

    from headwater.client.transport import api_base

    base = api_base(api_url)
    try:
        httpx.get(f"{base}/health", timeout=2.0).raise_for_status()
    except (httpx.HTTPError, ValueError) as exc:
        reason = type(exc).__name__
        err_console().print(
            f"[yellow]Warning:[/yellow] the server at {base} does not answer ({reason})."
        )
        return
    console().print(f"Connected to the Headwater server at {base}.")


@app.command("delete")
def delete(name: str = typer.Argument(..., help="The profile to delete.")) -> None:
    """Delete a profile (not the active one)."""
    from headwater import profiles

    data = profiles.load()
    profiles.require_profile(data, name)
    if name == profiles.active_name(data):
        fail(f"profile {name!r} is active", "switch first with `headwater profile use OTHER`")
    del data["profiles"][name]
    profiles.save(data)
    console().print(f"Deleted profile {name!r}.")


@app.command("inspect")
def inspect(
    name: str = typer.Argument(None, help="The profile to show (default: the active one)."),
) -> None:
    """Show the settings a profile holds (secrets masked)."""
    from headwater import profiles
    from headwater.cli.config import shown

    data = profiles.load()
    name = name or profiles.active_name(data)
    settings = profiles.require_profile(data, name)
    if not settings:
        console().print(f"Profile {name!r} sets nothing: every setting has its default.")
        return
    console().print(f"Profile {name!r}:")
    for key, value in sorted(settings.items()):
        console().print(f"  {escape(key)}={escape(shown(key, value))}")
