"""``headwater flow-run ls | inspect | logs | cancel | retry | resume | delete``."""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.output import (
    add_timing,
    console,
    duration,
    fail,
    info_grid,
    parse_state_types,
    print_state_history,
    state_text,
    when,
)
from headwater.cli.run_refs import RUN_REF_HELP, resolve_flow_run

app = typer.Typer(help="Inspect, retry and delete flow runs.", no_args_is_help=True)


def _client() -> Any:
    from headwater.cli.output import open_client

    return open_client()


@app.command("ls")
def list_runs(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="How many runs."),
    state: list[str] = typer.Option(None, "--state", "-s", help="Only runs in this state."),
    flow: list[str] = typer.Option(None, "--flow", "-f", help="Only runs of this flow."),
    deployment: list[str] = typer.Option(
        None, "--deployment", "-d", help="Only runs of this deployment (flow/deployment)."
    ),
) -> None:
    """List the most recent flow runs."""
    from headwater.schemas.filters import FlowRunFilter

    client = _client()
    deployment_ids = _deployment_ids(client, deployment)
    flt = FlowRunFilter(
        state_types=parse_state_types(state), flow_names=flow or None, deployment_ids=deployment_ids
    )
    runs = client.read_flow_runs(flow_run_filter=flt, limit=limit)
    table = Table(title=f"Flow runs ({len(runs)})", title_justify="left")
    table.add_column("ID", no_wrap=True, style="dim")
    table.add_column("Flow")
    table.add_column("Name")
    table.add_column("State")
    table.add_column("Started")
    table.add_column("Duration", justify="right")
    for run in runs:
        table.add_row(
            str(run.id),
            escape(run.flow_name),
            escape(run.name),
            state_text(run.state.type.value, run.state.name),
            when(run.start_time),
            duration(run.start_time, run.end_time),
        )
    console().print(table)


def _deployment_ids(client: Any, names: list[str] | None) -> list[Any] | None:
    from headwater.exceptions import ObjectNotFound

    if not names:
        return None
    ids = []
    for name in names:
        try:
            ids.append(client.read_deployment_by_name(name).id)
        except ObjectNotFound as exc:
            fail(str(exc), "`headwater deployment ls` lists deployments")
    return ids


@app.command("cancel")
def cancel_runs(
    flow_run_ids: list[str] = typer.Argument(None, help=f"Runs to cancel: {RUN_REF_HELP}"),
    late: bool = typer.Option(False, "--late", help="Cancel every Late run."),
    deployment: list[str] = typer.Option(
        None, "--deployment", "-d", help="With --late/--state: only runs of this deployment."
    ),
    state: list[str] = typer.Option(
        None, "--state", "-s", help="Cancel every unfinished run in this state (e.g. scheduled)."
    ),
) -> None:
    """Cancel runs: a run not started yet is Cancelled at once, a running one is stopped
    by its worker (its process group gets SIGTERM, then SIGKILL). Subflows follow."""
    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.filters import FlowRunFilter

    client = _client()
    if flow_run_ids:
        if late or state or deployment:
            fail("give run ids, or --late/--state (with --deployment), not both")
        for raw in flow_run_ids:
            run_id = resolve_flow_run(client, raw)
            try:
                before = client.read_flow_run(run_id).state
                if before.is_final():
                    fail(f"flow run {run_id} already finished {before.name}; nothing to cancel")
                new_state = client.cancel_flow_run(run_id)
            except ObjectNotFound:
                fail(f"flow run {run_id} not found", "`headwater flow-run ls` lists flow runs")
            console().print(
                f"Flow run {run_id}: {state_text(new_state.type.value, new_state.name)}"
            )
        return
    if not late and not state:
        fail("nothing to cancel", "give run ids, --late, or --state NAME")
    flt = FlowRunFilter(
        state_names=["Late"] if late else None,
        state_types=parse_state_types(state),
        deployment_ids=_deployment_ids(client, deployment),
    )
    cancelled = client.cancel_flow_runs(flt, limit=10_000)
    console().print(f"Cancelled {len(cancelled)} flow run(s).")


@app.command("inspect")
def inspect_run(
    flow_run_id: str = typer.Argument(..., help=f"The flow run: {RUN_REF_HELP}"),
) -> None:
    """Show one flow run: parameters, state history, task runs."""
    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.filters import TaskRunFilter

    client = _client()
    run_id = resolve_flow_run(client, flow_run_id)
    try:
        run = client.read_flow_run(run_id)
    except ObjectNotFound:
        fail(f"flow run {run_id} not found", "`headwater flow-run ls` lists flow runs")
    history = client.read_flow_run_states(run_id)
    task_runs = client.read_task_runs(
        task_run_filter=TaskRunFilter(flow_run_ids=[run_id]), limit=1000
    )
    info = info_grid()
    info.add_row("Flow run", f"{escape(run.name)} ({run.id})")
    info.add_row("Flow", escape(run.flow_name))
    info.add_row("State", state_text(run.state.type.value, run.state.name))
    if run.state.message:
        info.add_row("Message", escape(run.state.message))
    info.add_row("Parameters", escape(repr(run.parameters)))
    if run.tags:
        info.add_row("Tags", escape(", ".join(run.tags)))
    if run.parent_flow_run_id:
        info.add_row("Parent run", str(run.parent_flow_run_id))
    add_timing(info, run)
    console().print(info)
    print_state_history((p.timestamp, p.type.value, p.name, p.message) for p in history)
    _print_task_runs(task_runs, f"Task runs ({len(task_runs)})")


def _print_task_runs(task_runs: list[Any], title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("ID", no_wrap=True, style="dim")
    table.add_column("Name")
    table.add_column("State")
    table.add_column("Attempts", justify="right")
    table.add_column("Duration", justify="right")
    for task_run in task_runs:
        table.add_row(
            str(task_run.id),
            escape(task_run.name),
            state_text(task_run.state.type.value, task_run.state.name),
            str(task_run.run_count),
            duration(task_run.start_time, task_run.end_time),
        )
    console().print(table)


@app.command("logs")
def show_logs(
    flow_run_id: str = typer.Argument(..., help=f"The flow run: {RUN_REF_HELP}"),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new logs."),
    level: str = typer.Option("DEBUG", "--level", "-l", help="Lowest level to show."),
) -> None:
    """Print a flow run's logs (with --follow, until the run finishes)."""
    import logging

    from headwater.exceptions import ObjectNotFound
    from headwater.schemas.filters import LogFilter

    level_no = logging.getLevelName(level.upper())
    if not isinstance(level_no, int):
        fail(f"unknown level {level!r}", "use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    client = _client()
    run_id = resolve_flow_run(client, flow_run_id)
    try:
        run = client.read_flow_run(run_id)
    except ObjectNotFound:
        fail(f"flow run {run_id} not found", "`headwater flow-run ls` lists flow runs")
    seen = 0
    writers = _LogWriters(client, run.name)
    while True:
        page = client.read_logs(
            log_filter=LogFilter(flow_run_id=run_id, level_ge=level_no),
            limit=1000,
            offset=seen,
        )
        writers.learn(page)
        for log in page:
            clock = when(log.timestamp)
            console().print(
                f"[dim]{clock}[/dim] | {log.level_name:<8} | "
                f"{escape(writers.label(log))} - {escape(log.message)}",
                soft_wrap=True,
            )
        seen += len(page)
        if len(page) == 1000:
            continue
        if not follow or run.state.is_final():
            break
        time.sleep(0.5)
        run = client.read_flow_run(run_id)
        if run.state.is_final():
            follow = False  # one last read picks up the final lines


class _LogWriters:
    """Who wrote each log line: ``Task run 'load-0'`` or ``Flow run 'brisk-heron'``, as
    the console shows them while the run goes (task runs' names read once per page)."""

    def __init__(self, client: Any, flow_run_name: str) -> None:
        self._client = client
        self._flow_run = f"Flow run {flow_run_name!r}"
        self._task_runs: dict[Any, str] = {}

    def learn(self, logs: list[Any]) -> None:
        from headwater.schemas.filters import TaskRunFilter

        unknown = list({log.task_run_id for log in logs} - set(self._task_runs) - {None})
        for start in range(0, len(unknown), 1000):
            ids = unknown[start : start + 1000]
            flt = TaskRunFilter(ids=ids)
            for task_run in self._client.read_task_runs(task_run_filter=flt, limit=len(ids)):
                self._task_runs[task_run.id] = f"Task run {task_run.name!r}"
            for missing in ids:  # deleted meanwhile: say which id
                self._task_runs.setdefault(missing, f"Task run {missing}")

    def label(self, log: Any) -> str:
        if log.task_run_id is None:
            return self._flow_run
        return self._task_runs.get(log.task_run_id, f"Task run {log.task_run_id}")


@app.command("retry")
def retry_run(
    flow_run_id: str = typer.Argument(..., help=f"The failed flow run: {RUN_REF_HELP}"),
    force: bool = typer.Option(
        False,
        "--force",
        help="Also retry a run still marked Running/Pending whose process is gone.",
    ),
) -> None:
    """Re-run a Failed or Crashed flow run in place, in this process, from where it
    failed: tasks that completed and persisted their result are not run again."""
    from headwater.exceptions import UserInputError
    from headwater.launch.runs import retry_flow_run

    client = _client()
    run_id = resolve_flow_run(client, flow_run_id)
    try:
        state = retry_flow_run(run_id, force=force, client=client)
    except UserInputError as exc:
        fail(str(exc), "`headwater flow-run inspect ID` shows the run")
    message = f" ({escape(state.message)})" if state.message else ""
    console().print(
        f"Flow run {run_id} finished {state_text(state.type.value, state.name)}{message}"
    )
    if not state.is_completed():
        raise typer.Exit(1)


@app.command("delete")
def delete_run(
    flow_run_id: str = typer.Argument(..., help=f"The flow run: {RUN_REF_HELP}"),
) -> None:
    """Delete a flow run with its state history, task runs and logs."""
    from headwater.exceptions import ObjectNotFound

    client = _client()
    run_id = resolve_flow_run(client, flow_run_id)
    try:
        client.delete_flow_run(run_id)
    except ObjectNotFound:
        fail(f"flow run {run_id} not found", "`headwater flow-run ls` lists flow runs")
    console().print(f"Deleted flow run {run_id}.")


@app.command("resume")
def resume_run(
    flow_run_id: str = typer.Argument(..., help=f"The paused flow run: {RUN_REF_HELP}"),
    run_input: str = typer.Option(
        None, "--input", "-i", help="The input it waits for, as a JSON object."
    ),
) -> None:
    """Resume a paused flow run (its process carries on; a suspended one is scheduled
    again for a worker), with the input it waits for."""
    import json

    from headwater.exceptions import ObjectNotFound, UserInputError

    client = _client()
    run_id = resolve_flow_run(client, flow_run_id)
    value = None
    if run_input is not None:
        try:
            value = json.loads(run_input)
        except ValueError as exc:
            fail(f"--input is not JSON: {exc}", """e.g. --input '{"approved": true}'""")
        if not isinstance(value, dict):
            fail("--input must be a JSON object (field: value)", """e.g. --input '{"x": 1}'""")
    try:
        result = client.resume_flow_run(run_id, value)
    except ObjectNotFound:
        fail(f"flow run {run_id} not found", "`headwater flow-run ls` lists flow runs")
    except UserInputError as exc:
        fail(str(exc), "`headwater flow-run inspect ID` shows the run and what it waits for")
    state = result.state
    console().print(f"Flow run {run_id}: {state_text(state.type.value, state.name)}")
