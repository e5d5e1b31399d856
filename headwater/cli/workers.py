"""``headwater worker start --pool P [--type T] [-q Q] [--limit N] [--run-once]``."""

from __future__ import annotations

import typer
from rich.markup import escape

from headwater.cli.blocks import user_errors
from headwater.cli.output import console

app = typer.Typer(help="Run workers that execute a work pool's flow runs.", no_args_is_help=True)


@app.command("start")
@user_errors
def start(
    pool: str = typer.Option(..., "--pool", "-p", help="The work pool to poll."),
    work_queue: list[str] = typer.Option(
        None, "--work-queue", "-q", help="Only these queues (repeatable; default: all)."
    ),
    limit: int = typer.Option(None, "--limit", "-l", min=1, help="Most runs at once."),
    run_once: bool = typer.Option(False, "--run-once", help="Claim due runs once, run them, exit."),
    name: str = typer.Option(None, "--name", "-n", help="The worker's name [host-pid]."),
    type_: str = typer.Option(
        None,
        "--type",
        "-t",
        help="Worker type (process, docker, kubernetes, or a package's) [the pool's type].",
    ),
) -> None:
    """Poll a work pool; run each claimed flow run on the pool's worker type."""
    import logging

    from headwater.workers.registry import get_worker_type
    from headwater.workers.start import default_worker_name, start_worker

    if type_ is not None:
        get_worker_type(type_)  # an unknown type: one line naming the known ones
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)-7s | %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not every long-poll
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # the kubernetes client's requests
    worker = name or default_worker_name()
    queues = f" (queues {', '.join(work_queue)})" if work_queue else ""
    console().print(f"Worker {escape(worker)!r} polling pool {escape(pool)!r}{escape(queues)}")
    loop = start_worker(
        pool,
        work_queue_names=work_queue or None,
        limit=limit,
        run_once=run_once,
        name=worker,
        worker_type=type_,
    )
    console().print(f"Worker {escape(worker)!r} stopped after starting {loop.started} run(s)")
