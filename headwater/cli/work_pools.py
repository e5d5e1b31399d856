"""``headwater work-pool create | ls | inspect | pause | resume | delete |
set-concurrency-limit`` and ``headwater work-queue …``."""

from __future__ import annotations

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
    type_: str = typer.Option("process", "--type", "-t", help="Pool type (process)."),
    concurrency_limit: int = typer.Option(
        None, "--concurrency-limit", min=1, help="Most runs at once."
    ),
    description: str = typer.Option(None, "--description", help="What the pool is for."),
    paused: bool = typer.Option(False, "--paused", help="Create it paused."),
) -> None:
    """Create a work pool (with a 'default' queue)."""
    from headwater.schemas.work_pools import WorkPoolCreate

    if type_ != "process":
        fail(f"unknown work pool type {type_!r}", "Headwater has one type: process")
    pool = _client().create_work_pool(
        WorkPoolCreate(
            name=name, concurrency_limit=concurrency_limit, description=description, paused=paused
        )
    )
    console().print(f"Created work pool {escape(pool.name)!r} (type {pool.type.value})")
    console().print(f"Start a worker: headwater worker start --pool {escape(pool.name)!r}")


@app.command("ls")
@user_errors
def list_pools() -> None:
    """List work pools."""
    pools = _client().read_work_pools(limit=1000)
    table = Table(title=f"Work pools ({len(pools)})", title_justify="left")
    for column in ("Name", "Type", "Status", "Concurrency limit"):
        table.add_column(column)
    for pool in pools:
        table.add_row(
            escape(pool.name), pool.type.value, pool.status, _limit(pool.concurrency_limit)
        )
    console().print(table)


@app.command("inspect")
@user_errors
def inspect_pool(name: str = typer.Argument(..., help="The pool's name.")) -> None:
    """Show a pool with its queues and workers."""
    client = _client()
    pool = client.read_work_pool(name)
    console().print(
        f"[bold]{escape(pool.name)}[/bold] ({pool.type.value}) {pool.status}, "
        f"concurrency limit {_limit(pool.concurrency_limit)}"
    )
    if pool.description:
        console().print(escape(pool.description))
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
