"""``headwater global-concurrency-limit create NAME --limit N | ls | inspect | update |
enable | disable | delete``: limits used by ``concurrency`` and ``rate_limit``."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client, when

app = typer.Typer(help="Global concurrency limits and rate limits (concurrency, rate_limit).")

_HINT = "`headwater global-concurrency-limit ls` lists them"


def _read(client: Any, name: str) -> Any:
    from headwater.exceptions import ObjectNotFound

    try:
        return client.read_concurrency_limit(name)
    except ObjectNotFound:
        fail(f"no global concurrency limit named {name!r}", _HINT)


def _update(name: str, **changes: Any) -> Any:
    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.concurrency import ConcurrencyLimitUpdate

    try:
        return open_client().update_concurrency_limit(name, ConcurrencyLimitUpdate(**changes))
    except ObjectNotFound:
        fail(f"no global concurrency limit named {name!r}", _HINT)


@app.command("create")
@user_errors
def create(
    name: str = typer.Argument(..., help="The limit's name."),
    limit: int = typer.Option(..., "--limit", "-l", min=0, max=1_000_000, help="Slots."),
    slot_decay_per_second: float = typer.Option(
        0.0, "--slot-decay-per-second", min=0, help="Above 0: also a rate limit."
    ),
    active: bool = typer.Option(True, "--active/--inactive", help="Enforced or not."),
) -> None:
    """Create a global concurrency limit."""
    from headwater.schemas.concurrency import ConcurrencyLimitCreate

    if name.startswith("tag:"):
        fail("names starting 'tag:' are tag limits", "use `headwater concurrency-limit create`")
    created = open_client().create_concurrency_limit(
        ConcurrencyLimitCreate(
            name=name, limit=limit, active=active, slot_decay_per_second=slot_decay_per_second
        )
    )
    console().print(
        f"Created global concurrency limit with name {escape(name)!r} and ID "
        f"'{created.id}'. Run `headwater global-concurrency-limit inspect {escape(name)}` "
        "for more details."
    )


@app.command("ls")
@user_errors
def list_limits(
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=1000, help="How many."),
) -> None:
    """List global concurrency limits."""
    limits = open_client().read_concurrency_limits(tags=False, limit=limit)
    table = Table(title=f"Global Concurrency Limits ({len(limits)})", title_justify="left")
    table.add_column("ID")
    table.add_column("Name", style="cyan")
    table.add_column("Active")
    table.add_column("Limit", justify="right")
    table.add_column("Active Slots", justify="right")
    table.add_column("Slot Decay Per Second", justify="right")
    table.add_column("Created")
    table.add_column("Updated")
    for found in limits:
        table.add_row(
            str(found.id),
            escape(found.name),
            str(found.active),
            str(found.limit),
            str(found.active_slots),
            f"{found.slot_decay_per_second:g}",
            when(found.created),
            when(found.updated),
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect(
    name: str = typer.Argument(..., help="The limit's name."),
    output: str = typer.Option(None, "--output", "-o", help="json: print it as JSON."),
) -> None:
    """Show a limit: slots held, by whom, and how many wait."""
    found = _read(open_client(), name)
    if output is not None:
        if output.lower() != "json":
            fail(f"unknown output format {output!r}", "only json is supported")
        console().print_json(json.dumps(found.model_dump(mode="json")))
        return
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    info.add_row("Name", escape(found.name))
    info.add_row("ID", str(found.id))
    info.add_row("Active", str(found.active))
    info.add_row("Limit", str(found.limit))
    info.add_row("Active Slots", str(found.active_slots))
    info.add_row("Slot Decay Per Second", f"{found.slot_decay_per_second:g}")
    info.add_row("Waiting", str(found.queue_length))
    info.add_row("Created", when(found.created))
    info.add_row("Updated", when(found.updated))
    out = console()
    out.print(info)
    if found.holders:
        holders = Table(title="Holders", title_justify="left")
        holders.add_column("Slots", justify="right")
        holders.add_column("Holder")
        holders.add_column("Flow run")
        holders.add_column("Task run")
        holders.add_column("Expires")
        for holder in found.holders:
            holders.add_row(
                str(holder.slots),
                escape(holder.holder) + (" (decaying)" if holder.decaying else ""),
                str(holder.flow_run_id or "-"),
                str(holder.task_run_id or "-"),
                when(holder.expires),
            )
        out.print(holders)


@app.command("update")
@user_errors
def update(
    name: str = typer.Argument(..., help="The limit's name."),
    limit: int = typer.Option(None, "--limit", "-l", min=0, max=1_000_000, help="Slots."),
    slot_decay_per_second: float = typer.Option(None, "--slot-decay-per-second", min=0),
    active: bool = typer.Option(None, "--active/--inactive", help="Enforced or not."),
) -> None:
    """Change a limit's slots, decay or whether it is enforced."""
    if limit is None and slot_decay_per_second is None and active is None:
        fail("nothing to change", "pass --limit, --slot-decay-per-second or --active/--inactive")
    _update(name, limit=limit, slot_decay_per_second=slot_decay_per_second, active=active)
    console().print(f"Updated global concurrency limit with name {escape(name)!r}.")


@app.command("enable")
@user_errors
def enable(name: str = typer.Argument(..., help="The limit's name.")) -> None:
    """Enforce a limit again."""
    _update(name, active=True)
    console().print(f"Enabled global concurrency limit with name {escape(name)!r}.")


@app.command("disable")
@user_errors
def disable(name: str = typer.Argument(..., help="The limit's name.")) -> None:
    """Stop enforcing a limit (its waiters go on)."""
    _update(name, active=False)
    console().print(f"Disabled global concurrency limit with name {escape(name)!r}.")


@app.command("delete")
@user_errors
def delete(name: str = typer.Argument(..., help="The limit's name.")) -> None:
    """Delete a limit (its slots are given back, its waiters go on)."""
    if not open_client().delete_concurrency_limit(name):
        fail(f"no global concurrency limit named {name!r}", _HINT)
    console().print(f"Deleted global concurrency limit with name {escape(name)!r}.")
