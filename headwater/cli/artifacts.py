"""``headwater artifact ls | inspect KEY | delete KEY`` (Prefect's ``prefect artifact``)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, when
from headwater.cli.run_refs import RUN_REF_HELP

app = typer.Typer(help="List, inspect and delete artifacts (what runs publish).")

_NOT_FOUND_HINT = "`headwater artifact ls` lists the keys"


def _client() -> Any:
    from headwater.client import open_client

    return open_client()


def _summary(data: Any, limit: int = 60) -> str:
    if isinstance(data, str):
        text = " ".join(data.split())
    elif isinstance(data, list):
        text = f"{len(data)} rows"
    elif isinstance(data, dict):
        columns = list(data.values())
        text = f"{len(columns[0]) if columns else 0} rows"
    else:
        text = json.dumps(data)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_key(key: str) -> None:
    from headwater.schemas.artifacts import check_artifact_key

    try:
        check_artifact_key(key)
    except ValueError as exc:
        fail(str(exc), _NOT_FOUND_HINT)


@app.command("ls")
@user_errors
def list_artifacts(
    all_versions: bool = typer.Option(
        False, "--all", "-a", help="Every artifact, not only the latest of each key."
    ),
    kind: str = typer.Option(None, "--type", help="Only this type (markdown, table, …)."),
    flow_run: str = typer.Option(
        None, "--flow-run", help=f"Only this flow run's artifacts: {RUN_REF_HELP}"
    ),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=1000, help="How many."),
) -> None:
    """List artifacts, newest first (by default the latest version of each key)."""
    from pydantic import ValidationError

    from headwater.cli.run_refs import resolve_flow_run
    from headwater.schemas.artifacts import ArtifactFilter

    client = _client()
    run_id = resolve_flow_run(client, flow_run) if flow_run else None
    try:
        flt = ArtifactFilter.model_validate(
            {"type": kind, "flow_run_id": run_id, "latest": not all_versions}
        )
    except (ValidationError, ValueError):
        fail(
            "--type is one of markdown, table, link, progress, image, result",
            "`headwater artifact ls --help`",
        )
    found = client.read_artifacts(artifact_filter=flt, limit=limit)
    title = "Artifacts" if all_versions else "Artifacts (latest of each key)"
    table = Table(title=f"{title}: {len(found)}", title_justify="left")
    table.add_column("Key", style="cyan")
    table.add_column("Type")
    table.add_column("Data", overflow="ellipsis", max_width=60, no_wrap=True)
    table.add_column("Flow run")
    table.add_column("Updated")
    table.add_column("ID", style="dim")
    for artifact in found:
        table.add_row(
            escape(artifact.key or "-"),
            artifact.type,
            escape(_summary(artifact.data)),
            str(artifact.flow_run_id or "-"),
            when(artifact.updated),
            str(artifact.id),
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect_artifact(
    key: str = typer.Argument(..., help="The artifact's key."),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many versions."),
) -> None:
    """Show the versions of a key, newest first, with their data as JSON."""
    from headwater.schemas.artifacts import ArtifactFilter

    _check_key(key)
    versions = _client().read_artifacts(artifact_filter=ArtifactFilter(key=key), limit=limit)
    if not versions:
        fail(f"no artifact has the key {key!r}", _NOT_FOUND_HINT)
    for number, artifact in enumerate(versions):
        info = Table.grid(padding=(0, 2))
        info.add_column(style="bold")
        info.add_column()
        label = "latest" if number == 0 else f"version -{number}"
        info.add_row("Artifact", f"{escape(key)} ({label})")
        info.add_row("Type", artifact.type)
        info.add_row("Description", escape(artifact.description or "-"))
        info.add_row("ID", str(artifact.id))
        info.add_row("Flow run", str(artifact.flow_run_id or "-"))
        info.add_row("Task run", str(artifact.task_run_id or "-"))
        info.add_row("Created", when(artifact.created))
        info.add_row("Updated", when(artifact.updated))
        info.add_row("Data", escape(json.dumps(artifact.data, indent=2)))
        console().print(info)
        console().print()


@app.command("delete")
@user_errors
def delete_artifact(
    key: str = typer.Argument(None, help="Delete every version of this key."),
    artifact_id: str = typer.Option(None, "--id", help="Delete one artifact by id."),
) -> None:
    """Delete every version of a key, or one artifact by --id."""
    if (key is None) == (artifact_id is None):
        fail("give a KEY or --id ID (one of them)", "`headwater artifact delete --help`")
    client = _client()
    if artifact_id is not None:
        try:
            parsed = UUID(artifact_id)
        except ValueError:
            fail(f"--id {artifact_id!r} is not an artifact id (a UUID)", _NOT_FOUND_HINT)
        if not client.delete_artifact(parsed):
            fail(f"no artifact with id {artifact_id}", "`headwater artifact ls --all` lists ids")
        console().print(f"Deleted artifact {artifact_id}")
        return
    _check_key(key)
    deleted = client.delete_artifacts_by_key(key)
    if not deleted:
        fail(f"no artifact has the key {key!r}", _NOT_FOUND_HINT)
    console().print(f"Deleted {deleted} version{'s' if deleted != 1 else ''} of {escape(key)!r}")
