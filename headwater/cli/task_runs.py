"""``headwater task-run ls``."""

from __future__ import annotations

import typer

from headwater.cli.output import parse_id, parse_state_types

app = typer.Typer(help="Inspect task runs.", no_args_is_help=True)


@app.command("ls")
def list_task_runs(
    flow_run: str = typer.Option(..., "--flow-run", help="The flow run whose task runs to list."),
    state: list[str] = typer.Option(None, "--state", "-s", help="Only task runs in this state."),
    limit: int = typer.Option(200, "--limit", "-n", min=1, max=10000, help="How many."),
) -> None:
    """List the task runs of a flow run, oldest first."""
    from headwater.cli.flow_runs import _client, _print_task_runs
    from headwater.schemas.filters import TaskRunFilter

    run_id = parse_id(flow_run, "flow run")
    flt = TaskRunFilter(flow_run_ids=[run_id], state_types=parse_state_types(state))
    task_runs = _client().read_task_runs(task_run_filter=flt, limit=limit)
    _print_task_runs(task_runs, f"Task runs of {run_id} ({len(task_runs)})")
