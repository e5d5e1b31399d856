"""How the CLI talks to people: Rich tables, state colours, one-line errors."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

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
    errors.print(f"[bold red]Error:[/bold red] {escape(message)}", soft_wrap=True)
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


def info_grid() -> Any:
    """A two-column grid of labelled facts (bold labels)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    return grid


def add_timing(grid: Any, run: Any) -> None:
    """A run's Started, Ended, Duration and Attempts rows."""
    grid.add_row("Started", when(run.start_time))
    grid.add_row("Ended", when(run.end_time))
    grid.add_row("Duration", duration(run.start_time, run.end_time))
    grid.add_row("Attempts", str(run.run_count))


def print_state_history(entries: Iterable[tuple[dt.datetime, str, str, str | None]]) -> None:
    """A "State history" table of (time, state type, state name, message)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="State history", title_justify="left")
    table.add_column("Time")
    table.add_column("State")
    table.add_column("Message")
    for timestamp, state_type, name, message in entries:
        table.add_row(when(timestamp), state_text(state_type, name), escape(message or ""))
    console().print(table)


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
