"""``headwater flow ls``."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="List flows (every flow that has run or been deployed).", no_args_is_help=True
)


@app.command("ls")
def list_flows(
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=10000, help="How many flows."),
) -> None:
    """List flows by name, with their ids and when they first ran."""
    from rich.markup import escape
    from rich.table import Table

    from headwater.cli.output import console, open_client, when

    flows = open_client().read_flows(limit=limit)
    table = Table(title=f"Flows ({len(flows)})", title_justify="left")
    table.add_column("ID", no_wrap=True, style="dim")
    table.add_column("Name")
    table.add_column("Tags")
    table.add_column("Created")
    for flow in flows:
        table.add_row(
            str(flow.id), escape(flow.name), escape(", ".join(flow.tags)), when(flow.created)
        )
    console().print(table)
