"""``headwater webhook create | ls | inspect | toggle | enable | disable | rotate |
delete``: incoming webhooks (Prefect's ``prefect cloud webhook`` names)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, open_client

app = typer.Typer(help="Incoming webhooks: a URL that turns a request into an event.")

_HINT = "`headwater webhook ls` lists webhooks"
_TEMPLATE_HINT = (
    'e.g. --template \'{"event": "shop.order.paid", '
    '"resource": {"headwater.resource.id": "shop.order.{{ body.id }}"}}\''
)


def hook_url(client: Any, slug: str) -> str:
    """The URL other systems call (the path alone on the embedded store)."""
    base = getattr(client, "api_url", None)
    return f"{base.rstrip('/')}/hooks/{slug}" if base else f"/api/hooks/{slug}"


def _find(client: Any, id_or_name: str) -> Any:
    from headwater.exceptions import ObjectNotFound

    try:
        webhook_id = UUID(id_or_name)
    except ValueError:
        found = client.read_webhooks_by_name(id_or_name)
        if not found:
            fail(f"no webhook named {id_or_name!r}", _HINT)
        return found[0]
    try:
        return client.read_webhook(webhook_id)
    except ObjectNotFound:
        fail(f"no webhook {webhook_id}", _HINT)


def _checked(build: Any) -> Any:
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        fail(f"{where}: {message}" if where else message, _TEMPLATE_HINT)


@app.command("create")
@user_errors
def create(
    name: str = typer.Argument(..., help="A name for the webhook (unique)."),
    template: str = typer.Option(
        ..., "--template", "-t", help="Jinja that renders to the event's JSON."
    ),
    description: str = typer.Option("", "--description", "-d"),
) -> None:
    """Create a webhook; prints the URL to give to the other system."""
    from headwater.schemas.webhooks import WebhookCreate

    body = _checked(lambda: WebhookCreate(name=name, template=template, description=description))
    client = open_client()
    made = client.create_webhook(body)
    console().print(f"Created webhook {escape(made.name)!r} ({made.id})")
    console().print(f"URL: {hook_url(client, made.slug)}", markup=False, soft_wrap=True)


@app.command("ls")
@user_errors
def list_webhooks() -> None:
    """List webhooks."""
    client = open_client()
    found = client.read_webhooks(limit=10_000)
    table = Table(title=f"Webhooks ({len(found)})", title_justify="left")
    table.add_column("Name", style="cyan")
    table.add_column("Id")
    table.add_column("Enabled")
    table.add_column("URL", overflow="fold")
    table.add_column("Description")
    for hook in found:
        table.add_row(
            escape(hook.name),
            str(hook.id),
            "yes" if hook.enabled else "[yellow]disabled[/yellow]",
            escape(hook_url(client, hook.slug)),
            escape(hook.description),
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Print a webhook as JSON (with its URL)."""
    import json

    client = open_client()
    hook = _find(client, id_or_name)
    data = hook.model_dump(mode="json")
    data["url"] = hook_url(client, hook.slug)
    console().print(json.dumps(data, indent=2), markup=False, soft_wrap=True)


@app.command("get", hidden=True)
@user_errors
def get(id_or_name: str = typer.Argument(...)) -> None:
    inspect(id_or_name)


@app.command("update")
@user_errors
def update(
    id_or_name: str = typer.Argument(..., help="The webhook's id or name."),
    template: str = typer.Option(None, "--template", "-t"),
    description: str = typer.Option(None, "--description", "-d"),
) -> None:
    """Change a webhook's template or description (its URL stays)."""
    from headwater.schemas.webhooks import WebhookUpdate

    changes: dict[str, Any] = {}
    if template is not None:
        changes["template"] = template
    if description is not None:
        changes["description"] = description
    if not changes:
        fail("nothing to change", "give --template and/or --description")
    body = _checked(lambda: WebhookUpdate(**changes))
    client = open_client()
    hook = client.update_webhook(_find(client, id_or_name).id, body)
    console().print(f"Updated webhook {escape(hook.name)!r}")


def _set_enabled(id_or_name: str, enabled: bool | None) -> None:
    from headwater.schemas.webhooks import WebhookUpdate

    client = open_client()
    hook = _find(client, id_or_name)
    wanted = (not hook.enabled) if enabled is None else enabled
    client.update_webhook(hook.id, WebhookUpdate(enabled=wanted))
    word = "Enabled" if wanted else "Disabled"
    console().print(f"{word} webhook {escape(hook.name)!r}")


@app.command("toggle")
@user_errors
def toggle(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Disable an enabled webhook, or enable a disabled one."""
    _set_enabled(id_or_name, None)


@app.command("enable")
@user_errors
def enable(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Let a disabled webhook take requests again."""
    _set_enabled(id_or_name, True)


@app.command("disable")
@user_errors
def disable(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Answer the webhook's URL with 404 (it is kept)."""
    _set_enabled(id_or_name, False)


@app.command("rotate")
@user_errors
def rotate(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Give the webhook a new URL; the old one stops working."""
    client = open_client()
    hook = client.rotate_webhook(_find(client, id_or_name).id)
    console().print(f"Rotated webhook {escape(hook.name)!r}")
    console().print(f"URL: {hook_url(client, hook.slug)}", markup=False, soft_wrap=True)


@app.command("delete")
@user_errors
def delete(id_or_name: str = typer.Argument(..., help="The webhook's id or name.")) -> None:
    """Delete a webhook."""
    client = open_client()
    hook = _find(client, id_or_name)
    client.delete_webhook(hook.id)
    console().print(f"Deleted webhook {escape(hook.name)!r}")
