"""``headwater notification create | ls | pause | resume | delete``: a failed (or any
state's) run of some tags tells a notification block — Prefect 2's notifications,
kept as automations tagged ``notification``."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client

app = typer.Typer(help="Notify a block when runs reach a state (automations underneath).")

TAG = "notification"
STATES = ("Scheduled", "Pending", "Running", "Completed", "Failed", "Crashed", "Cancelled")
SUBJECT = "Headwater: {{ flow.name }} {{ event.resource['headwater.state-name'] }}"
BODY = (
    "Flow run {{ flow.name }}/{{ flow_run.name }} entered state "
    "{{ event.resource['headwater.state-name'] }}"
    "{% if event.resource['headwater.state-message'] %}: "
    "{{ event.resource['headwater.state-message'] }}{% endif %}"
)


def _states(raw: str) -> list[str]:
    wanted = [s.strip() for s in raw.split(",") if s.strip()]
    by_lower = {s.lower(): s for s in STATES}
    unknown = [s for s in wanted if s.lower() not in by_lower]
    if unknown or not wanted:
        fail(f"unknown state {', '.join(unknown) or raw!r}", f"use some of {', '.join(STATES)}")
    return [by_lower[s.lower()] for s in wanted]


@app.command("create")
@user_errors
def create(
    state: str = typer.Option("Failed,Crashed", "--state", "-s", help="States, comma-separated."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="Only runs with this tag; repeatable."),
    block: str = typer.Option(..., "--block", "-b", help="The block, as type-slug/name."),
    body: str = typer.Option(BODY, "--body", help="The message (a Jinja template)."),
    name: str = typer.Option(None, "--name", help="Default: from the states, tags and block."),
) -> None:
    """Send a notification to BLOCK whenever a flow run (with one of the tags) enters
    one of the states."""
    from headwater.schemas.automations import AutomationCore, EventTrigger, SendNotification

    states = _states(state)
    slug, _, block_name = block.partition("/")
    if not slug or not block_name:
        fail(f"--block {block!r} is not type-slug/name", "e.g. --block slack-webhook/ops")
    client = open_client()
    document = client.read_block_document(slug, block_name)
    tags = tag or []
    trigger = EventTrigger(
        expect={f"headwater.flow-run.{s}" for s in states},
        match_related={"headwater.resource.id": [f"headwater.tag.{t}" for t in tags]}
        if tags
        else {},
    )
    label = name or f"{'/'.join(states)} {'+'.join(tags) or 'any tag'} -> {block}"
    made = client.create_automation(
        AutomationCore(
            name=label[:200],
            description="A notification (headwater notification create).",
            trigger=trigger,
            actions=[
                SendNotification(
                    block_document_id=document.id,
                    subject=SUBJECT,
                    body=body,
                )
            ],
            tags=[TAG],
        )
    )
    console().print(f"Created notification {escape(made.name)!r} ({made.id})")


@app.command("ls")
@user_errors
def list_notifications() -> None:
    """List notifications."""
    found = [a for a in open_client().read_automations(limit=10_000) if TAG in a.tags]
    table = Table(title=f"Notifications ({len(found)})", title_justify="left")
    table.add_column("Id")
    table.add_column("States")
    table.add_column("Tags")
    table.add_column("Enabled")
    for automation in found:
        states = sorted(e.rsplit(".", 1)[-1] for e in getattr(automation.trigger, "expect", ()))
        tags = getattr(automation.trigger, "match_related", {})
        ids = tags.get("headwater.resource.id", []) if isinstance(tags, dict) else []
        names = [
            i.removeprefix("headwater.tag.") for i in (ids if isinstance(ids, list) else [ids])
        ]
        table.add_row(
            str(automation.id),
            ", ".join(states),
            escape(", ".join(names) or "any"),
            "yes" if automation.enabled else "[yellow]paused[/yellow]",
        )
    console().print(table)


def _one(notification_id: str) -> object:
    from uuid import UUID

    from headwater.exceptions import ObjectNotFound

    try:
        automation_id = UUID(notification_id)
    except ValueError:
        fail(f"{notification_id!r} is not a notification id", "`headwater notification ls`")
    try:
        return open_client().read_automation(automation_id).id
    except ObjectNotFound:
        fail(f"no notification {notification_id}", "`headwater notification ls` lists them")


@app.command("pause")
@user_errors
def pause(notification_id: str = typer.Argument(..., help="Its id.")) -> None:
    """Stop sending (the notification is kept)."""
    open_client().pause_automation(_one(notification_id))
    console().print("Paused")


@app.command("resume")
@user_errors
def resume(notification_id: str = typer.Argument(..., help="Its id.")) -> None:
    """Send again."""
    open_client().resume_automation(_one(notification_id))
    console().print("Resumed")


@app.command("delete")
@user_errors
def delete(notification_id: str = typer.Argument(..., help="Its id.")) -> None:
    """Delete a notification."""
    open_client().delete_automation(_one(notification_id))
    console().print("Deleted")
