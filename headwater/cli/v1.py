"""``headwater v1 register``: Prefect 1 flows (``headwater.v1``) as deployments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail

app = typer.Typer(
    help="Prefect 1 flows (headwater.v1): register them as deployments.", no_args_is_help=True
)


@app.command("register")
@user_errors
def register(
    project: str = typer.Option(..., "--project", help="Project: the deployment name and a tag."),
    paths: list[Path] = typer.Option(
        ..., "--path", "-p", help="A Python file defining v1 flows (repeatable)."
    ),
    pool: str = typer.Option(None, "--pool", help="Work pool whose workers run the flows."),
    labels: list[str] = typer.Option(
        None, "--label", "-l", help="Extra label (repeatable): picks the work queue."
    ),
    names: list[str] = typer.Option(
        None, "--name", "-n", help="Register only the flows of this name (repeatable)."
    ),
) -> None:
    """Register every v1 flow defined in the files (as `prefect register` did)."""
    from headwater.cli.output import open_client
    from headwater.v1.register import register_flow

    if not pool:
        fail(
            "--pool is required: the work pool whose workers run these flows",
            "create one with `headwater work-pool create NAME --type process`",
        )
    found: list[tuple[Path, str, Any]] = []
    for path in paths:
        if not path.is_file():
            fail(f"--path {path} is not a file")
        flows = flows_in_file(path)
        found.extend(
            (path, variable, flow)
            for variable, flow in flows.items()
            if not names or flow.name in names
        )
    if not found:
        fail(
            "no Prefect 1 flows found", "a file must define `with Flow(...) as flow:` at top level"
        )
    client = open_client()
    table = Table("Flow", "Deployment", "Queue", "Id")
    for path, variable, flow in found:
        deployment_id = register_flow(
            flow, project, labels, path=path, variable=variable, work_pool_name=pool, client=client
        )
        queue = (
            "-".join(sorted(set(labels or ()) | set(getattr(flow.run_config, "labels", ()) or ())))
            or "default"
        )
        table.add_row(
            escape(flow.name), escape(f"{flow.name}/{project}"), escape(queue), str(deployment_id)
        )
    console().print(table)


def flows_in_file(path: Path) -> dict[str, Any]:
    """``{variable: flow}`` for the v1 flows a Python file defines at top level."""
    from headwater.utilities.entrypoints import load_script
    from headwater.v1.core.flow import Flow

    module = load_script(str(path.resolve()))
    return {name: value for name, value in vars(module).items() if isinstance(value, Flow)}
