"""The root ``headwater`` command; each group lives in its own module."""

from __future__ import annotations

import sys
from typing import Any

import typer

from headwater.cli import (
    artifacts,
    automations,
    blocks,
    concurrency_limits,
    config,
    deployment_slas,
    deployments,
    events,
    flow_runs,
    flows,
    global_concurrency_limits,
    notifications,
    profiles,
    server,
    task,
    task_runs,
    v1,
    variables,
    webhooks,
    work_pools,
    workers,
)
from headwater.cli.version import version

app = typer.Typer(
    name="headwater",
    help="Headwater: run, watch and manage Python workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("version")(version)


def _print_version(value: bool) -> None:
    if value:
        from headwater._version import __version__

        typer.echo(f"headwater {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", "-V", is_eager=True, callback=_print_version, help="Print the version."
    ),
) -> None:
    """Headwater: run, watch and manage Python workflows."""


app.add_typer(flows.app, name="flow")
app.add_typer(flow_runs.app, name="flow-run")
app.add_typer(task_runs.app, name="task-run")
app.add_typer(task.app, name="task")
app.add_typer(blocks.app, name="block")
app.add_typer(variables.app, name="variable")
app.add_typer(artifacts.app, name="artifact")
app.add_typer(server.app, name="server")
app.add_typer(config.app, name="config")
app.add_typer(profiles.app, name="profile")
app.add_typer(deployments.app, name="deployment")
deployments.app.add_typer(deployment_slas.app, name="sla")
app.command("deploy")(deployments.deploy_command)
app.add_typer(work_pools.app, name="work-pool")
app.add_typer(work_pools.queue_app, name="work-queue")
app.add_typer(workers.app, name="worker")
app.add_typer(v1.app, name="v1")
app.add_typer(concurrency_limits.app, name="concurrency-limit")
app.add_typer(global_concurrency_limits.app, name="global-concurrency-limit")
app.add_typer(events.app, name="events")
app.add_typer(automations.app, name="automation")
app.add_typer(notifications.app, name="notification")
app.add_typer(webhooks.app, name="webhook")
app.add_typer(events.app, name="event", hidden=True)


def command() -> Any:
    """Run the app as a click command whose help shows plain value names."""
    import typer.main

    from headwater.cli.help import plain_metavars

    return plain_metavars(typer.main.get_command(app))(prog_name="headwater")


def main() -> None:
    """Entry point: Headwater's own errors print as one line, not a traceback."""
    from headwater.cli.output import close_clients
    from headwater.exceptions import HeadwaterError

    try:
        command()
    except HeadwaterError as exc:
        from rich.markup import escape

        from headwater.cli.output import err_console

        err_console().print(f"[bold red]Error:[/bold red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(1)
    finally:
        close_clients()
