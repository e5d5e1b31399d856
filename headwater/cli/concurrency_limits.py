"""``headwater concurrency-limit create TAG N | ls | inspect TAG | reset TAG | delete
TAG``: tag limits on task runs (the limits named ``tag:<tag>``)."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client, when

app = typer.Typer(help="Limit how many task runs with a tag run at once (tag concurrency limits).")

_HINT = "`headwater concurrency-limit ls` lists tag limits"


def _name(tag: str) -> str:
    from headwater.schemas.concurrency import tag_limit_name

    if not tag.strip():
        fail("the tag is empty")
    return tag_limit_name(tag)


def _read(client: Any, tag: str) -> Any:
    from headwater.exceptions import ObjectNotFound

    try:
        return client.read_concurrency_limit(_name(tag))
    except ObjectNotFound:
        fail(f"no concurrency limit on the tag {tag!r}", _HINT)


def _task_run_ids(limit: Any) -> list[str]:
    return [str(h.task_run_id) for h in limit.holders if h.task_run_id is not None]


@app.command("create")
@user_errors
def create(
    tag: str = typer.Argument(..., help="The tag to limit."),
    concurrency_limit: int = typer.Argument(
        ..., min=0, max=1_000_000, help="Task runs at once (0 holds every one back)."
    ),
) -> None:
    """Create (or change) the limit on a tag."""
    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.concurrency import ConcurrencyLimitCreate, ConcurrencyLimitUpdate

    client = open_client()
    name = _name(tag)
    try:
        limit = client.update_concurrency_limit(
            name, ConcurrencyLimitUpdate(limit=concurrency_limit)
        )
    except ObjectNotFound:
        limit = client.create_concurrency_limit(
            ConcurrencyLimitCreate(name=name, limit=concurrency_limit)
        )
    out = console()
    out.print("Created concurrency limit with properties:")
    out.print(f"    tag - {escape(tag)!r}")
    out.print(f"    concurrency_limit - {limit.limit}")
    out.print(f"\nInspect it: headwater concurrency-limit inspect {escape(tag)}")


@app.command("inspect")
@user_errors
def inspect(tag: str = typer.Argument(..., help="The limited tag.")) -> None:
    """Show a tag's limit and the task runs holding its slots."""
    limit = _read(open_client(), tag)
    table = Table(title="Concurrency Limit", title_justify="left", show_header=True)
    table.add_column("Tag", style="cyan")
    table.add_column("ID")
    table.add_column("Concurrency Limit", justify="right")
    table.add_column("Active Slots", justify="right")
    table.add_column("Waiting", justify="right")
    table.add_column("Created")
    table.add_column("Updated")
    table.add_row(
        escape(tag),
        str(limit.id),
        str(limit.limit),
        str(limit.active_slots),
        str(limit.queue_length),
        when(limit.created),
        when(limit.updated),
    )
    ids = _task_run_ids(limit)
    holders = Table(title="Active Task Run IDs", title_justify="left")
    holders.add_column("Task run ID")
    holders.add_column("Holder")
    holders.add_column("Lease expires")
    for holder in limit.holders:
        holders.add_row(str(holder.task_run_id or "-"), escape(holder.holder), when(holder.expires))
    out = console()
    out.print(Panel(table, expand=False))
    out.print(holders if limit.holders else f"Active Task Run IDs: {ids or 'none'}")


@app.command("ls")
@user_errors
def list_limits(
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=1000, help="How many."),
) -> None:
    """List tag limits."""
    limits = open_client().read_concurrency_limits(tags=True, limit=limit)
    table = Table(title=f"Concurrency Limits ({len(limits)})", title_justify="left")
    table.add_column("Tag", style="cyan")
    table.add_column("ID")
    table.add_column("Concurrency Limit", justify="right")
    table.add_column("Active Task Run IDs", overflow="fold")
    for found in limits:
        table.add_row(
            escape(found.name.removeprefix("tag:")),
            str(found.id),
            str(found.limit),
            escape(", ".join(_task_run_ids(found)) or "-"),
        )
    console().print(table)


@app.command("reset")
@user_errors
def reset(tag: str = typer.Argument(..., help="The limited tag.")) -> None:
    """Give back every slot of a tag's limit (the runs holding them go on)."""
    from headwater.exceptions import ObjectNotFound

    try:
        open_client().reset_concurrency_limit(_name(tag))
    except ObjectNotFound:
        fail(f"no concurrency limit on the tag {tag!r}", _HINT)
    console().print(f"Reset concurrency limit set on the tag: {escape(tag)}")


@app.command("delete")
@user_errors
def delete(tag: str = typer.Argument(..., help="The limited tag.")) -> None:
    """Delete a tag's limit (its waiting task runs go on)."""
    if not open_client().delete_concurrency_limit(_name(tag)):
        fail(f"no concurrency limit on the tag {tag!r}", _HINT)
    console().print(f"Deleted concurrency limit set on the tag: {escape(tag)}")
