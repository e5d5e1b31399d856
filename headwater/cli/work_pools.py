"""``headwater work-pool create | ls | inspect | update | pause | resume | delete |
set-concurrency-limit | get-default-base-job-template`` and ``headwater work-queue …``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail, when

app = typer.Typer(help="Create and manage work pools.", no_args_is_help=True)
queue_app = typer.Typer(help="Create and manage the work queues of a pool.", no_args_is_help=True)

_POOL = typer.Option(..., "--pool", "-p", help="The work pool.")


def _client() -> Any:
    from headwater.cli.output import open_client

    return open_client()


def _limit(value: int | None) -> str:
    return str(value) if value else "-"


@app.command("create")
@user_errors
def create_pool(
    name: str = typer.Argument(..., help="The pool's name."),
    type_: str = typer.Option(
        "process", "--type", "-t", help="Worker type: process, docker, kubernetes, or a package's."
    ),
    base_job_template: Path = typer.Option(
        None,
        "--base-job-template",
        help="A JSON file with the template [the type's default; see "
        "`headwater work-pool get-default-base-job-template`].",
    ),
    concurrency_limit: int = typer.Option(
        None, "--concurrency-limit", min=1, help="Most runs at once."
    ),
    description: str = typer.Option(None, "--description", help="What the pool is for."),
    paused: bool = typer.Option(False, "--paused", help="Create it paused."),
) -> None:
    """Create a work pool (with a 'default' queue) whose runs the TYPE's workers run."""
    from headwater.schemas.work_pools import WorkPoolCreate
    from headwater.workers.registry import get_worker_type

    template = get_worker_type(type_).default_base_job_template()
    if base_job_template is not None:
        template = _read_template(base_job_template)
    try:
        body = WorkPoolCreate(
            name=name,
            type=type_,
            base_job_template=template,
            concurrency_limit=concurrency_limit,
            description=description,
            paused=paused,
        )
    except ValueError as exc:
        fail(_first_error(exc), "see `headwater work-pool get-default-base-job-template`")
    pool = _client().create_work_pool(body)
    console().print(f"Created work pool {escape(pool.name)!r} (type {pool.type})")
    console().print(f"Start a worker: headwater worker start --pool {escape(pool.name)!r}")


def _read_template(path: Path) -> dict[str, Any]:
    import json

    try:
        found = json.loads(path.read_text())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}")
    if not isinstance(found, dict):
        fail(f"{path} must hold a JSON object with 'job_configuration' and 'variables'")
    return found


def _first_error(exc: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
    return str(exc)


@app.command("get-default-base-job-template")
@user_errors
def default_template(
    type_: str = typer.Option(..., "--type", "-t", help="The worker type."),
    file: Path = typer.Option(None, "--file", "-f", help="Write it here instead of printing it."),
) -> None:
    """Print a worker type's default base job template (JSON), to edit and pass to
    `work-pool create --base-job-template` or `work-pool update`."""
    import json

    from headwater.workers.registry import get_worker_type

    text = json.dumps(get_worker_type(type_).default_base_job_template(), indent=2)
    if file is None:
        typer.echo(text)
        return
    file.write_text(text + "\n")
    console().print(f"Wrote the {escape(type_)} base job template to {escape(str(file))}")


@app.command("update")
@user_errors
def update_pool(
    name: str = typer.Argument(..., help="The pool's name."),
    base_job_template: Path = typer.Option(
        None, "--base-job-template", help="A JSON file with the new template."
    ),
    description: str = typer.Option(None, "--description", help="What the pool is for."),
) -> None:
    """Change a pool's base job template or description."""
    from headwater.schemas.work_pools import WorkPoolUpdate

    if base_job_template is None and description is None:
        fail("nothing to change", "pass --base-job-template FILE or --description TEXT")
    template = None if base_job_template is None else _read_template(base_job_template)
    try:
        changes = WorkPoolUpdate(base_job_template=template, description=description)
    except ValueError as exc:
        fail(_first_error(exc), "see `headwater work-pool get-default-base-job-template`")
    _client().update_work_pool(name, changes)
    console().print(f"Updated work pool {escape(name)!r}")


@app.command("ls")
@user_errors
def list_pools() -> None:
    """List work pools."""
    pools = _client().read_work_pools(limit=1000)
    table = Table(title=f"Work pools ({len(pools)})", title_justify="left")
    for column in ("Name", "Type", "Status", "Concurrency limit"):
        table.add_column(column)
    for pool in pools:
        table.add_row(escape(pool.name), pool.type, pool.status, _limit(pool.concurrency_limit))
    console().print(table)


@app.command("inspect")
@user_errors
def inspect_pool(name: str = typer.Argument(..., help="The pool's name.")) -> None:
    """Show a pool with its queues and workers."""
    client = _client()
    pool = client.read_work_pool(name)
    console().print(
        f"[bold]{escape(pool.name)}[/bold] ({pool.type}) {pool.status}, "
        f"concurrency limit {_limit(pool.concurrency_limit)}"
    )
    if pool.description:
        console().print(escape(pool.description))
    _print_variables(pool.base_job_template)
    _print_queues(client.read_work_queues(name))
    workers = client.read_workers(name)
    table = Table(title=f"Workers ({len(workers)})", title_justify="left")
    for column in ("Name", "Host", "PID", "Last heartbeat", "Status"):
        table.add_column(column)
    for worker in workers:
        table.add_row(
            escape(worker.name),
            escape(worker.hostname or "-"),
            str(worker.pid or "-"),
            when(worker.last_heartbeat),
            "[green]online[/green]" if worker.online else "[red]offline[/red]",
        )
    console().print(table)


def _print_variables(template: dict[str, Any]) -> None:
    from headwater.workers.templates import template_variables

    variables = template_variables(template)
    if not variables:
        return
    table = Table(title=f"Job variables ({len(variables)})", title_justify="left")
    for column in ("Name", "Type", "Default"):
        table.add_column(column)
    for key, schema in sorted(variables.items()):
        schema = schema if isinstance(schema, dict) else {}
        kind = schema.get("type", "-")
        table.add_row(
            escape(key),
            escape("|".join(kind) if isinstance(kind, list) else str(kind)),
            escape(repr(schema.get("default"))),
        )
    console().print(table)


def _print_queues(queues: list[Any]) -> None:
    table = Table(title=f"Work queues ({len(queues)})", title_justify="left")
    for column in ("Name", "Priority", "Concurrency limit", "Status", "Last polled"):
        table.add_column(column)
    for queue in queues:
        table.add_row(
            escape(queue.name),
            str(queue.priority),
            _limit(queue.concurrency_limit),
            "[yellow]paused[/yellow]" if queue.paused else "ready",
            when(queue.last_polled),
        )
    console().print(table)


def _update_pool(name: str, **changes: Any) -> Any:
    from headwater.schemas.work_pools import WorkPoolUpdate

    return _client().update_work_pool(name, WorkPoolUpdate(**changes))


@app.command("pause")
@user_errors
def pause_pool(name: str = typer.Argument(..., help="The pool's name.")) -> None:
    """Pause a pool: its workers claim nothing until it is resumed."""
    _update_pool(name, paused=True)
    console().print(f"Paused work pool {escape(name)!r}")


@app.command("resume")
@user_errors
def resume_pool(name: str = typer.Argument(..., help="The pool's name.")) -> None:
    """Resume a paused pool."""
    _update_pool(name, paused=False)
    console().print(f"Resumed work pool {escape(name)!r}")


@app.command("set-concurrency-limit")
@user_errors
def set_pool_limit(
    name: str = typer.Argument(..., help="The pool's name."),
    limit: int = typer.Argument(..., min=0, help="Most runs at once (0: no limit)."),
) -> None:
    """Limit how many of the pool's runs are Pending/Running at once."""
    _update_pool(name, concurrency_limit=limit)
    console().print(f"Work pool {escape(name)!r}: concurrency limit {_limit(limit)}")


@app.command("delete")
@user_errors
def delete_pool(name: str = typer.Argument(..., help="The pool's name.")) -> None:
    """Delete a pool with its queues (its deployments keep no pool)."""
    _client().delete_work_pool(name)
    console().print(f"Deleted work pool {escape(name)!r}")


# -- queues -------------------------------------------------------------------------------
@queue_app.command("create")
@user_errors
def create_queue(
    name: str = typer.Argument(..., help="The queue's name."),
    pool: str = _POOL,
    priority: int = typer.Option(1, "--priority", min=1, help="Lower runs first."),
    concurrency_limit: int = typer.Option(None, "--concurrency-limit", "-l", min=1),
) -> None:
    """Create a work queue in a pool."""
    from headwater.schemas.work_pools import WorkQueueCreate

    queue = _client().create_work_queue(
        pool, WorkQueueCreate(name=name, priority=priority, concurrency_limit=concurrency_limit)
    )
    console().print(f"Created work queue {escape(queue.name)!r} in pool {escape(pool)!r}")


@queue_app.command("ls")
@user_errors
def list_queues(pool: str = _POOL) -> None:
    """List a pool's queues."""
    _print_queues(_client().read_work_queues(pool))


@queue_app.command("inspect")
@user_errors
def inspect_queue(
    name: str = typer.Argument(..., help="The queue's name."), pool: str = _POOL
) -> None:
    """Show one queue."""
    _print_queues([_client().read_work_queue(pool, name)])


def _update_queue(pool: str, name: str, **changes: Any) -> None:
    from headwater.schemas.work_pools import WorkQueueUpdate

    _client().update_work_queue(pool, name, WorkQueueUpdate(**changes))


@queue_app.command("pause")
@user_errors
def pause_queue(
    name: str = typer.Argument(..., help="The queue's name."), pool: str = _POOL
) -> None:
    """Pause a queue: its runs wait until it is resumed."""
    _update_queue(pool, name, paused=True)
    console().print(f"Paused work queue {escape(name)!r} of {escape(pool)!r}")


@queue_app.command("resume")
@user_errors
def resume_queue(
    name: str = typer.Argument(..., help="The queue's name."), pool: str = _POOL
) -> None:
    """Resume a paused queue."""
    _update_queue(pool, name, paused=False)
    console().print(f"Resumed work queue {escape(name)!r} of {escape(pool)!r}")


@queue_app.command("set-concurrency-limit")
@user_errors
def set_queue_limit(
    name: str = typer.Argument(..., help="The queue's name."),
    limit: int = typer.Argument(..., min=0, help="Most runs at once (0: no limit)."),
    pool: str = _POOL,
) -> None:
    """Limit how many of the queue's runs are Pending/Running at once."""
    _update_queue(pool, name, concurrency_limit=limit)
    console().print(f"Work queue {escape(name)!r}: concurrency limit {_limit(limit)}")


@queue_app.command("delete")
@user_errors
def delete_queue(
    name: str = typer.Argument(..., help="The queue's name."), pool: str = _POOL
) -> None:
    """Delete a queue (not the pool's default queue)."""
    _client().delete_work_queue(pool, name)
    console().print(f"Deleted work queue {escape(name)!r} of {escape(pool)!r}")
