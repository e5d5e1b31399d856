"""``headwater variable set | get | ls | inspect | unset``."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, when

app = typer.Typer(help="Set, read and delete variables (named JSON values).")

_NOT_FOUND_HINT = "`headwater variable ls` lists variables"


def _client() -> Any:
    from headwater.client import open_client

    return open_client()


def _parse(raw: str) -> Any:
    """JSON when it parses, else the string itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@app.command("set")
@user_errors
def set_variable(
    name: str = typer.Argument(..., help="1-255 characters of a-z, 0-9, _ and -."),
    value: str = typer.Argument(..., help="JSON when it parses, else a string."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="A tag; repeatable."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Change an existing variable."),
) -> None:
    """Create a variable (or change one with --overwrite)."""
    from headwater.variables import Variable

    variable = Variable.set(name, _parse(value), tags=tag or None, overwrite=overwrite, _sync=True)  # type: ignore[call-arg]
    console().print(f"Set variable {escape(variable.name)!r}")


@app.command("get")
@user_errors
def get_variable(name: str = typer.Argument(..., help="The variable's name.")) -> None:
    """Print a variable's value (strings as they are, other values as JSON)."""
    variable = _client().read_variable(name)
    if variable is None:
        fail(f"no variable named {name!r}", _NOT_FOUND_HINT)
    console().print(_show(variable.value), markup=False, soft_wrap=True)


@app.command("ls")
@user_errors
def list_variables(
    tag: str = typer.Option(None, "--tag", "-t", help="Only variables with this tag."),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=10_000, help="How many."),
) -> None:
    """List variables."""
    variables = _client().read_variables(tag=tag, limit=limit)
    table = Table(title=f"Variables ({len(variables)})", title_justify="left")
    table.add_column("Name", style="cyan")
    table.add_column("Value", overflow="ellipsis", max_width=60, no_wrap=True)
    table.add_column("Tags")
    table.add_column("Updated")
    for variable in variables:
        table.add_row(
            escape(variable.name),
            escape(_show(variable.value)),
            escape(", ".join(variable.tags)),
            when(variable.updated),
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect_variable(name: str = typer.Argument(..., help="The variable's name.")) -> None:
    """Show a variable: value, tags, id, times."""
    variable = _client().read_variable(name)
    if variable is None:
        fail(f"no variable named {name!r}", _NOT_FOUND_HINT)
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    info.add_row("Variable", escape(variable.name))
    info.add_row("Value", escape(json.dumps(variable.value, indent=2)))
    info.add_row("Tags", escape(", ".join(variable.tags) or "-"))
    info.add_row("ID", str(variable.id))
    info.add_row("Created", when(variable.created))
    info.add_row("Updated", when(variable.updated))
    console().print(info)


@app.command("unset")
@user_errors
def unset_variable(name: str = typer.Argument(..., help="The variable's name.")) -> None:
    """Delete a variable."""
    if not _client().delete_variable(name):
        fail(f"no variable named {name!r}", _NOT_FOUND_HINT)
    console().print(f"Unset variable {escape(name)!r}")
