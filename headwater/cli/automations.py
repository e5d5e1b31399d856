"""``headwater automation ls | inspect | create --from-file | pause | resume | delete``
(Prefect's names; ``enable``/``disable`` are the same as resume/pause)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client

app = typer.Typer(help="Create and manage automations (triggers and actions).")

_HINT = "`headwater automation ls` lists automations"


def _find(client: Any, id_or_name: str) -> Any:
    """One automation by id or (unique) name."""
    try:
        automation_id = UUID(id_or_name)
    except ValueError:
        found = client.read_automations_by_name(id_or_name)
        if not found:
            fail(f"no automation named {id_or_name!r}", _HINT)
        if len(found) > 1:
            fail(f"{len(found)} automations are named {id_or_name!r}", "use its id")
        return found[0]
    from headwater.exceptions import ObjectNotFound

    try:
        return client.read_automation(automation_id)
    except ObjectNotFound:
        fail(f"no automation {automation_id}", _HINT)


def _describe_trigger(trigger: Any) -> str:
    if trigger.type in ("compound", "sequence"):
        parts = "; ".join(_describe_trigger(t) for t in trigger.triggers)
        head = f"{trigger.require} of" if trigger.type == "compound" else "in order:"
        text = f"{trigger.type.capitalize()} {head} [{parts}]"
        return text + (f" within {trigger.within:g}s" if trigger.within else "")
    expect = ", ".join(sorted(trigger.expect)) or "any event"
    text = f"{trigger.posture}: {expect}"
    if trigger.threshold > 1 or trigger.within:
        text += f" x{trigger.threshold}"
    if trigger.within:
        text += f" within {trigger.within:g}s"
    return text


@app.command("ls")
@user_errors
def list_automations() -> None:
    """List automations."""
    found = open_client().read_automations(limit=10_000)
    table = Table(title=f"Automations ({len(found)})", title_justify="left")
    table.add_column("Name", style="cyan")
    table.add_column("Id")
    table.add_column("Enabled")
    table.add_column("Trigger")
    table.add_column("Actions")
    for automation in found:
        actions = [a.type for a in [*automation.actions_on_trigger, *automation.actions]]
        table.add_row(
            escape(automation.name),
            str(automation.id),
            "yes" if automation.enabled else "[yellow]paused[/yellow]",
            escape(_describe_trigger(automation.trigger)),
            escape(", ".join(actions)),
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect(id_or_name: str = typer.Argument(..., help="The automation's id or name.")) -> None:
    """Print an automation as JSON."""
    automation = _find(open_client(), id_or_name)
    console().print(automation.model_dump_json(indent=2), markup=False, soft_wrap=True)


@app.command("create")
@user_errors
def create(
    from_file: Path = typer.Option(
        ..., "--from-file", "-f", help="A JSON or YAML file: one automation or a list."
    ),
) -> None:
    """Create automations from a file (the shape ``inspect`` prints, without ids)."""
    from pydantic import ValidationError

    from headwater.schemas.automations import AutomationCore

    try:
        text = from_file.read_text()
    except OSError as exc:
        fail(f"cannot read {from_file}: {exc.strerror or exc}")
    try:
        data = json.loads(text) if from_file.suffix == ".json" else _yaml(text)
    except ValueError as exc:
        fail(f"{from_file} is not valid JSON/YAML: {exc}")
    items = data if isinstance(data, list) else [data]
    client = open_client()
    for item in items:
        if not isinstance(item, dict):
            fail(f"{from_file}: each automation must be a mapping")
        item = {k: v for k, v in item.items() if k not in ("id", "created", "updated")}
        try:
            core = AutomationCore.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            fail(f"{from_file}: {where}: {first['msg']}", "see docs/automations.md")
        made = client.create_automation(core)
        console().print(f"Created automation {escape(made.name)!r} ({made.id})")


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def _set_enabled(id_or_name: str, enabled: bool) -> None:
    client = open_client()
    automation = _find(client, id_or_name)
    if enabled:
        client.resume_automation(automation.id)
    else:
        client.pause_automation(automation.id)
    word = "Resumed" if enabled else "Paused"
    console().print(f"{word} automation {escape(automation.name)!r}")


@app.command("pause")
@user_errors
def pause(id_or_name: str = typer.Argument(..., help="The automation's id or name.")) -> None:
    """Stop an automation from firing (it is kept)."""
    _set_enabled(id_or_name, False)


@app.command("resume")
@user_errors
def resume(id_or_name: str = typer.Argument(..., help="The automation's id or name.")) -> None:
    """Let a paused automation fire again."""
    _set_enabled(id_or_name, True)


@app.command("disable", hidden=True)
@user_errors
def disable(id_or_name: str = typer.Argument(...)) -> None:
    _set_enabled(id_or_name, False)


@app.command("enable", hidden=True)
@user_errors
def enable(id_or_name: str = typer.Argument(...)) -> None:
    _set_enabled(id_or_name, True)


@app.command("delete")
@user_errors
def delete(id_or_name: str = typer.Argument(..., help="The automation's id or name.")) -> None:
    """Delete an automation."""
    client = open_client()
    automation = _find(client, id_or_name)
    client.delete_automation(automation.id)
    console().print(f"Deleted automation {escape(automation.name)!r}")
