"""``headwater task-run ls | inspect``."""

from __future__ import annotations

import typer

from headwater.cli.output import parse_state_types
from headwater.cli.run_refs import RUN_REF_HELP

app = typer.Typer(help="Inspect task runs.", no_args_is_help=True)


@app.command("ls")
def list_task_runs(
    flow_run: str = typer.Option(
        ..., "--flow-run", help=f"The flow run whose task runs to list: {RUN_REF_HELP}"
    ),
    state: list[str] = typer.Option(None, "--state", "-s", help="Only task runs in this state."),
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=10000, help="How many."),
) -> None:
    """List the task runs of a flow run, oldest first."""
    from headwater.cli.flow_runs import _client, _print_task_runs
    from headwater.cli.run_refs import resolve_flow_run
    from headwater.schemas.filters import TaskRunFilter

    client = _client()
    run_id = resolve_flow_run(client, flow_run)
    flt = TaskRunFilter(flow_run_ids=[run_id], state_types=parse_state_types(state))
    task_runs = client.read_task_runs(task_run_filter=flt, limit=limit)
    _print_task_runs(task_runs, f"Task runs of {run_id} ({len(task_runs)})")


@app.command("inspect")
def inspect_task_run(
    task_run_id: str = typer.Argument(..., help=f"The task run: {RUN_REF_HELP}"),
) -> None:
    """Show one task run: its flow run, state history, inputs, tags and result."""
    from rich.markup import escape

    from headwater.cli.flow_runs import _client
    from headwater.cli.output import (
        add_timing,
        console,
        fail,
        info_grid,
        print_state_history,
        state_text,
    )
    from headwater.cli.run_refs import resolve_task_run
    from headwater.exceptions import ObjectNotFound

    client = _client()
    run_id = resolve_task_run(client, task_run_id)
    try:
        task_run = client.read_task_run(run_id)
    except ObjectNotFound:
        fail(f"task run {run_id} not found")
    info = info_grid()
    info.add_row("Task run", f"{escape(task_run.name)} ({task_run.id})")
    info.add_row("Task", escape(task_run.task_key))
    if task_run.flow_run_id is not None:
        try:
            flow_run = client.read_flow_run(task_run.flow_run_id)
            info.add_row("Flow run", f"{escape(flow_run.name)} ({flow_run.id})")
        except ObjectNotFound:
            info.add_row("Flow run", str(task_run.flow_run_id))
    state = task_run.state
    info.add_row("State", state_text(state.type.value, state.name))
    if state.message:
        info.add_row("Message", escape(state.message))
    if task_run.tags:
        info.add_row("Tags", escape(", ".join(task_run.tags)))
    for name, upstream in task_run.inputs.items():
        info.add_row(f"Input {escape(name)}", ", ".join(str(u) for u in upstream) or "-")
    if task_run.cache_key:
        info.add_row("Cache key", escape(task_run.cache_key))
    if task_run.result:
        info.add_row("Result", escape(repr(task_run.result)))
    add_timing(info, task_run)
    console().print(info)
    print_state_history((p.timestamp, p.type, p.name, p.message) for p in task_run.transitions)
