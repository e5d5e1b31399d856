"""How the CLI talks to people: Rich tables, state colours, one-line errors."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, NoReturn
from uuid import UUID

import typer
from rich.console import Console

#: Width used when output is not a terminal, so piped tables are not truncated.
PIPE_WIDTH = 200


def console() -> Console:
    """A console on the current stdout (terminal width, or wide when piped)."""
    stream = sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(file=stream, highlight=False, width=width)


def err_console() -> Console:
    stream = sys.stderr
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(file=stream, highlight=False, width=width)


STATE_STYLES = {
    "SCHEDULED": "yellow",
    "PENDING": "bright_black",
    "RUNNING": "blue",
    "PAUSED": "bright_black",
    "COMPLETED": "green",
    "FAILED": "red",
    "CANCELLING": "bright_black",
    "CANCELLED": "bright_black",
    "CRASHED": "bright_red",
}


_clients: list[Any] = []


def open_client() -> Any:
    """The configured client (embedded store or server); closed when the command ends."""
    from headwater.client import open_client

    client = open_client()
    _clients.append(client)
    return client


def close_clients() -> None:
    while _clients:
        _clients.pop().close()


def fail(message: str, hint: str | None = None) -> NoReturn:
    """Print ``Error: message`` (and a hint) on stderr and exit with status 1."""
    from rich.markup import escape

    errors = err_console()
    errors.print(f"[bold red]Error:[/bold red] {escape(message)}")
    if hint:
        errors.print(f"[dim]Hint: {escape(hint)}[/dim]")
    raise typer.Exit(1)


def state_text(state_type: str, name: str) -> str:
    from rich.markup import escape

    style = STATE_STYLES.get(state_type, "")
    return f"[{style}]{escape(name)}[/{style}]" if style else escape(name)


def when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None:
        return "-"
    finish = end or dt.datetime.now(dt.timezone.utc)
    seconds = (finish - start).total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def parse_id(value: str, what: str) -> UUID:
    try:
        return UUID(value.strip())
    except ValueError:
        fail(f"{value!r} is not a valid {what} id", f"ids look like {UUID(int=0)}")


def parse_state_types(values: list[str] | None) -> list[Any] | None:
    from headwater.states import StateType

    if not values:
        return None
    out = []
    for value in values:
        try:
            out.append(StateType(value.strip().upper()))
        except ValueError:
            names = ", ".join(t.value.lower() for t in StateType)
            fail(f"unknown state {value!r}", f"use one of: {names}")
    return out
