"""``headwater deployment sla ls | create | delete``: a deployment's SLAs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client

app = typer.Typer(help="A deployment's SLAs (time to completion, lateness, frequency).")


def _deployment(client: Any, name: str) -> Any:
    try:
        return client.read_deployment(UUID(name))
    except ValueError:
        return client.read_deployment_by_name(name)


@app.command("ls")
@user_errors
def list_slas(
    deployment: str = typer.Argument(..., help="FLOW/DEPLOYMENT or the deployment's id."),
) -> None:
    """List a deployment's SLAs."""
    client = open_client()
    made = _deployment(client, deployment)
    found = client.read_deployment_slas(made.id)
    table = Table(title=f"SLAs of {escape(made.full_name)} ({len(found)})", title_justify="left")
    table.add_column("Name", style="cyan")
    table.add_column("Id")
    table.add_column("Type")
    table.add_column("Seconds", justify="right")
    table.add_column("Severity")
    table.add_column("Enabled")
    for sla in found:
        table.add_row(
            escape(sla.name),
            str(sla.id),
            sla.type,
            f"{sla.duration:g}",
            sla.severity,
            "yes" if sla.enabled else "[yellow]no[/yellow]",
        )
    console().print(table)


@app.command("create")
@user_errors
def create(
    deployment: str = typer.Argument(..., help="FLOW/DEPLOYMENT or the deployment's id."),
    name: str = typer.Option(..., "--name", "-n", help="Unique in the deployment."),
    kind: str = typer.Option(..., "--type", help="time-to-completion, lateness or frequency."),
    duration: float = typer.Option(..., "--duration", help="Seconds allowed."),
    severity: str = typer.Option("moderate", "--severity", help="minor … critical."),
    label: list[str] = typer.Option(None, "--label", "-l", help="key=value (repeatable)."),
) -> None:
    """Create an SLA (or replace the deployment's SLA of that name)."""
    from pydantic import ValidationError

    from headwater.schemas.slas import SlaCreate

    labels = {}
    for pair in label or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--label {pair!r} is not key=value")
        labels[key] = value
    try:
        body = SlaCreate(
            name=name,
            type=kind,  # type: ignore[arg-type]
            duration=duration,
            severity=severity,  # type: ignore[arg-type]
            labels=labels,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        fail(f"{where}: {first['msg']}", "see `headwater deployment sla create --help`")
    client = open_client()
    made = _deployment(client, deployment)
    sla = client.create_deployment_sla(made.id, body)
    console().print(f"Created SLA {escape(sla.name)!r} of {escape(made.full_name)} ({sla.id})")


@app.command("delete")
@user_errors
def delete(
    deployment: str = typer.Argument(..., help="FLOW/DEPLOYMENT or the deployment's id."),
    sla: str = typer.Argument(None, help="The SLA's name or id."),
    all_: bool = typer.Option(False, "--all", help="Delete every SLA of the deployment."),
) -> None:
    """Delete one SLA of a deployment (or all with --all)."""
    if (sla is None) == (not all_):
        fail("give an SLA's name or id, or --all", "`headwater deployment sla ls FLOW/DEP`")
    client = open_client()
    made = _deployment(client, deployment)
    found = client.read_deployment_slas(made.id)
    chosen = found if all_ else [s for s in found if sla in (s.name, str(s.id))]
    if not chosen:
        fail(
            f"deployment {made.full_name!r} has no SLA {sla!r}",
            f"`headwater deployment sla ls {made.full_name}` lists them",
        )
    for item in chosen:
        client.delete_deployment_sla(made.id, item.id)
        console().print(f"Deleted SLA {escape(item.name)!r} of {escape(made.full_name)}")
