"""``headwater events ls | stream | emit``."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client

app = typer.Typer(help="Read, follow and emit events.")

POLL_SECONDS = 0.5


def _filter(prefix: list[str] | None, resource: str | None, since: dt.datetime | None) -> Any:
    from headwater.schemas.events import EventFilter

    body: dict[str, Any] = {}
    if prefix:
        body["event"] = {"prefix": prefix}
    if resource:
        body["any_resource"] = {"id": [resource]}
    if since is not None:
        body["occurred"] = {"since": since.isoformat()}
    return EventFilter.model_validate(body)


def _since(minutes: float | None) -> dt.datetime | None:
    if minutes is None:
        return None
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)


@app.command("ls")
@user_errors
def list_events(
    prefix: list[str] = typer.Option(None, "--event", "-e", help="Event name prefix; repeatable."),
    resource: str = typer.Option(None, "--resource", "-r", help="A resource id (or related)."),
    since_minutes: float = typer.Option(None, "--since-minutes", min=0, help="Only recent."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """List events, newest first."""
    page = open_client().read_events(_filter(prefix, resource, _since(since_minutes)), limit=limit)
    if as_json:
        for event in page.events:
            console().print(json.dumps(event), markup=False, soft_wrap=True)
        return
    table = Table(title=f"Events ({len(page.events)} of {page.total})", title_justify="left")
    table.add_column("Occurred")
    table.add_column("Event", style="cyan")
    table.add_column("Resource")
    table.add_column("Name")
    for event in page.events:
        resource_labels = event["resource"]
        table.add_row(
            event["occurred"][:23],
            escape(event["event"]),
            escape(resource_labels.get("headwater.resource.id", "")),
            escape(resource_labels.get("headwater.resource.name", "")),
        )
    console().print(table)


@app.command("stream")
@user_errors
def stream(
    prefix: list[str] = typer.Option(None, "--event", "-e", help="Event name prefix; repeatable."),
    resource: str = typer.Option(None, "--resource", "-r", help="A resource id (or related)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
    run_seconds: float = typer.Option(
        None, "--run-seconds", min=0, help="Stop after this long (default: until Ctrl-C)."
    ),
) -> None:
    """Print events as they happen (from now on), until Ctrl-C."""
    client = open_client()
    seen: dict[str, float] = {}
    since = dt.datetime.now(dt.timezone.utc)
    stop = time.monotonic() + run_seconds if run_seconds is not None else None
    try:
        while stop is None or time.monotonic() < stop:
            # Look a little back: an event stored late (a batch) may have occurred earlier.
            window = since - dt.timedelta(seconds=30)
            page = client.read_events(_filter(prefix, resource, window), limit=1000)
            for event in reversed(page.events):
                if event["id"] in seen:
                    continue
                seen[event["id"]] = time.monotonic()
                if as_json:
                    console().print(json.dumps(event), markup=False, soft_wrap=True)
                else:
                    name = event["resource"].get("headwater.resource.name", "")
                    console().print(
                        f"{event['occurred'][11:23]}  [cyan]{escape(event['event'])}[/cyan]  "
                        f"{escape(event['resource']['headwater.resource.id'])} {escape(name)}"
                    )
            cutoff = time.monotonic() - 120
            seen = {k: v for k, v in seen.items() if v >= cutoff}
            since = dt.datetime.now(dt.timezone.utc)
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return


@app.command("emit")
@user_errors
def emit(
    event: str = typer.Argument(..., help="The event's name, e.g. shop.order.paid."),
    resource_id: str = typer.Option(..., "--resource-id", help="headwater.resource.id"),
    resource: str = typer.Option(None, "--resource", help="More resource labels (JSON)."),
    related: str = typer.Option(None, "--related", help="Related resources (JSON list)."),
    payload: str = typer.Option(None, "--payload", help="The payload (JSON object)."),
) -> None:
    """Store one event now."""
    from headwater.core.events import Event

    def parsed(raw: str | None, what: str, kind: type) -> Any:
        if raw is None:
            return kind()
        try:
            value = json.loads(raw)
        except ValueError as exc:
            fail(f"{what} is not JSON: {exc}", f'e.g. --{what} \'{{"k": "v"}}\'')
        if not isinstance(value, kind):
            fail(f"{what} must be a JSON {kind.__name__}")
        return value

    labels = {**parsed(resource, "resource", dict), "headwater.resource.id": resource_id}
    made = Event(
        event=event,
        resource=labels,
        related=parsed(related, "related", list),
        payload=parsed(payload, "payload", dict),
    )
    open_client().emit_events([made.to_record()])
    console().print(f"Emitted {escape(made.event)} ({made.id})")
