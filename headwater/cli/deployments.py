"""``headwater deployment ls | inspect | run | pause | resume | delete | backfill``
and ``headwater deploy [NAME | --all]``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, err_console, fail, state_text, when

app = typer.Typer(help="List, inspect, run, pause and backfill deployments.", no_args_is_help=True)


def _client() -> Any:
    from headwater.cli.output import open_client

    return open_client()


def _deployment(client: Any, name: str) -> Any:
    from uuid import UUID

    try:
        return client.read_deployment(UUID(name))
    except ValueError:
        return client.read_deployment_by_name(name)


def parse_params(pairs: list[str] | None, params_json: str | None) -> dict[str, Any]:
    """``--params JSON`` then ``-p key=value`` (each value JSON when it parses)."""
    parameters: dict[str, Any] = {}
    if params_json:
        try:
            loaded = json.loads(params_json)
        except ValueError as exc:
            fail(f"--params is not valid JSON: {exc}", 'e.g. --params \'{"day": "2024-01-01"}\'')
        if not isinstance(loaded, dict):
            fail("--params must be a JSON object", 'e.g. --params \'{"day": "2024-01-01"}\'')
        parameters.update(loaded)
    for pair in pairs or ():
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"-p {pair!r} is not key=value", "e.g. -p day=2024-01-01 -p retries=3")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        parameters[key.strip()] = value
    return parameters


@app.command("ls")
@user_errors
def list_deployments(
    flow: list[str] = typer.Option(None, "--flow", "-f", help="Only deployments of this flow."),
    pool: str = typer.Option(None, "--pool", help="Only deployments of this work pool."),
) -> None:
    """List deployments with their schedules and next run."""
    from headwater.schemas.deployments import DeploymentFilter

    flt = DeploymentFilter(flow_names=flow or None, work_pool_names=[pool] if pool else None)
    found = _client().read_deployments(deployment_filter=flt, limit=1000)
    table = Table(title=f"Deployments ({len(found)})", title_justify="left")
    for column in ("Name", "Work pool", "Schedules", "Next run", "Status"):
        table.add_column(column)
    for d in found:
        active = [s.description for s in d.schedules if s.active]
        table.add_row(
            escape(d.full_name),
            escape(d.work_pool_name or "(served)"),
            escape("; ".join(active) or "-"),
            when(d.next_runs[0].expected_start_time) if d.next_runs else "-",
            "[yellow]paused[/yellow]" if d.paused else "active",
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect_deployment(name: str = typer.Argument(..., help="flow-name/deployment-name")) -> None:
    """Show a deployment: source, parameters, schedules, next runs."""
    d = _deployment(_client(), name)
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    info.add_row("Deployment", f"{escape(d.full_name)} ({d.id})")
    if d.description:
        info.add_row("Description", escape(d.description.strip().splitlines()[0]))
    info.add_row("Entrypoint", escape(d.entrypoint))
    if d.source:
        info.add_row("Source", escape(d.source))
    pool = d.work_pool_name or "(served by a serve process)"
    queue = f" / queue {d.work_queue_name}" if d.work_queue_name else ""
    info.add_row("Work pool", escape(pool + queue))
    info.add_row("Status", "paused" if d.paused else "active")
    info.add_row("Parameters", escape(json.dumps(d.parameters)))
    if d.tags:
        info.add_row("Tags", escape(", ".join(d.tags)))
    if d.concurrency_limit:
        info.add_row("Concurrency", f"{d.concurrency_limit} ({d.collision_strategy.value})")
    info.add_row("Missed runs", d.missed_runs.value)
    if d.lateness_limit_seconds:
        info.add_row("Lateness limit", f"{d.lateness_limit_seconds:g} s")
    if d.pull_steps:
        info.add_row("Pull steps", escape(json.dumps(d.pull_steps)))
    console().print(info)
    schedules = Table(title="Schedules", title_justify="left")
    for column in ("ID", "Timing", "Timezone", "Active", "Parameters"):
        schedules.add_column(column)
    for s in d.schedules:
        schedules.add_row(
            str(s.id),
            escape(s.description),
            escape(s.schedule.get("timezone", "UTC")),
            "yes" if s.active else "no",
            escape(json.dumps(s.parameters)) if s.parameters else "",
        )
    console().print(schedules)
    upcoming = Table(title="Next runs", title_justify="left")
    for column in ("ID", "Name", "When", "State"):
        upcoming.add_column(column)
    for run in d.next_runs:
        upcoming.add_row(
            str(run.id), escape(run.name), when(run.expected_start_time), run.state_name
        )
    console().print(upcoming)


@app.command("run")
@user_errors
def run(
    name: str = typer.Argument(..., help="flow-name/deployment-name"),
    param: list[str] = typer.Option(None, "--param", "-p", help="key=value (JSON or text)."),
    params: str = typer.Option(None, "--params", help="All parameters as a JSON object."),
    watch: bool = typer.Option(
        False, "--watch", help="Follow the run; exit 0 only if it completes."
    ),
    start_in: float = typer.Option(None, "--start-in", min=0, help="Seconds from now to start."),
    idempotency_key: str = typer.Option(None, "--idempotency-key", help="Run once per key."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="Tag the run; repeatable."),
) -> None:
    """Create a run of a deployment (a worker or serve process runs it)."""
    import datetime as dt

    from headwater.schemas.deployments import DeploymentFlowRunCreate

    client = _client()
    d = _deployment(client, name)
    when_ = None
    if start_in:
        when_ = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=start_in)
    body = DeploymentFlowRunCreate(
        parameters=parse_params(param, params),
        idempotency_key=idempotency_key,
        scheduled_time=when_,
        tags=tag or [],
    )
    created = client.create_flow_run_from_deployment(d.id, body)
    console().print(
        f"Created flow run {escape(created.name)!r} ({created.id}) of {escape(d.full_name)}"
    )
    if not watch:
        return
    state = watch_run(client, created.id)
    if not state.is_completed():
        raise typer.Exit(1)


def watch_run(client: Any, run_id: Any) -> Any:
    """Print state changes and logs until the run is final; its final state."""
    from headwater.schemas.filters import LogFilter

    seen_logs = 0
    last = None
    while True:
        run = client.read_flow_run(run_id)
        if run.state.name != last:
            last = run.state.name
            message = f" ({escape(run.state.message)})" if run.state.message else ""
            console().print(
                f"{when(run.state.timestamp)} {state_text(run.state_type, last)}{message}"
            )
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=run_id), limit=1000, offset=seen_logs
        )
        for log in logs:
            console().print(
                f"[dim]{when(log.timestamp)}[/dim] | {log.level_name:<8} | {escape(log.message)}",
                soft_wrap=True,
            )
        seen_logs += len(logs)
        if run.state.is_final():
            return run.state
        time.sleep(0.3)


def _print_state(state: Any) -> None:
    message = f" ({escape(state.message)})" if state.message else ""
    console().print(f"{when(state.timestamp)} {state_text(state.type.value, state.name)}{message}")


def _set_paused(name: str, paused: bool) -> None:
    from headwater.schemas.deployments import DeploymentUpdate

    client = _client()
    d = _deployment(client, name)
    client.update_deployment(d.id, DeploymentUpdate(paused=paused))
    console().print(f"{'Paused' if paused else 'Resumed'} deployment {escape(d.full_name)}")


@app.command("pause")
@user_errors
def pause(name: str = typer.Argument(..., help="flow-name/deployment-name")) -> None:
    """Stop scheduling runs (its runs that have not started are removed)."""
    _set_paused(name, True)


@app.command("resume")
@user_errors
def resume(name: str = typer.Argument(..., help="flow-name/deployment-name")) -> None:
    """Schedule runs again, from now on."""
    _set_paused(name, False)


@app.command("delete")
@user_errors
def delete(name: str = typer.Argument(..., help="flow-name/deployment-name")) -> None:
    """Delete a deployment, its schedules and its runs that have not started."""
    client = _client()
    d = _deployment(client, name)
    client.delete_deployment(d.id)
    console().print(f"Deleted deployment {escape(d.full_name)}")


@app.command("backfill")
@user_errors
def backfill_command(
    name: str = typer.Argument(..., help="flow-name/deployment-name"),
    start: str = typer.Option(..., "--start", help="Window start (ISO date/time; UTC if naive)."),
    end: str = typer.Option(..., "--end", help="Window end, inclusive (ISO date/time)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be created."),
    max_active: int = typer.Option(
        None, "--max-active", min=1, help="At most N backfill runs unfinished at once."
    ),
    reprocess: str = typer.Option(
        "none", "--reprocess", help="Runs of the window that exist: none, failed or all."
    ),
) -> None:
    """Create the runs the deployment's schedules would have made in a past window.

    Idempotent: a time that already has a run gets no second one (unless --reprocess
    asks to run it again)."""
    from headwater.cli.backfill import backfill

    backfill(
        _client(), name, start, end, dry_run=dry_run, max_active=max_active, reprocess=reprocess
    )


def deploy_command(
    names: list[str] = typer.Argument(None, help="Deployments of headwater.yaml to apply."),
    all_: bool = typer.Option(False, "--all", help="Apply every deployment of the file."),
    file: Path = typer.Option(None, "--file", help="The project file [./headwater.yaml]."),
) -> None:
    """Apply deployments from headwater.yaml (create or update them)."""
    from headwater.deployments.project import find_project_file, project_deployments
    from headwater.exceptions import HeadwaterError

    try:
        path = file if file is not None else find_project_file()
        if not path.is_file():
            fail(f"{path} does not exist", "create it (see docs/deployments.md)")
        chosen = project_deployments(path, names or None, all_deployments=all_)
        client = _client()
        for deployment in chosen:
            deployment.apply(client)
            where = deployment.work_pool_name or "no work pool (use serve)"
            if deployment.job_variables.get("image"):
                where += f", image {deployment.job_variables['image']}"
            if deployment.triggers:
                where += f", {len(deployment.triggers)} trigger(s)"
            console().print(f"Applied deployment {escape(deployment.full_name)} ({escape(where)})")
    except HeadwaterError as exc:
        fail(str(exc))
    if any(not d.work_pool_name for d in chosen):
        err_console().print(
            "[dim]Deployments without a work pool run only while a serve process serves them.[/dim]"
        )
