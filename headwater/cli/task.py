"""``headwater task serve module:task [file.py:task …] [--module M] [--limit N]``."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from headwater.cli.blocks import user_errors
from headwater.cli.output import console, fail

app = typer.Typer(help="Work with background tasks (task workers).", no_args_is_help=True)


@app.command("serve")
@user_errors
def serve(
    entrypoints: list[str] = typer.Argument(
        None, help="Tasks to serve: 'module:task' or 'path/to/file.py:task'."
    ),
    module: list[str] = typer.Option(
        None, "--module", "-m", help="Serve every task defined in this module (repeatable)."
    ),
    limit: int = typer.Option(10, "--limit", "-l", min=1, max=1000, help="Most runs at once."),
    name: str = typer.Option(None, "--name", "-n", help="The worker's name [host-pid-random]."),
) -> None:
    """Run a task worker: it runs the runs that `task.delay(...)` submits for these
    tasks, at most --limit at a time, until stopped (Ctrl-C)."""
    import logging

    from headwater.task_worker import TaskWorker

    tasks = [_load_task(entrypoint) for entrypoint in entrypoints or ()]
    for name_of_module in module or ():
        tasks.extend(_module_tasks(name_of_module))
    if not tasks:
        fail("no tasks to serve", hint="name them: headwater task serve my_module:my_task")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not every long-poll
    worker = TaskWorker(*tasks, limit=limit, name=name)
    names = ", ".join(sorted({t.name for t in tasks}))
    console().print(
        f"Task worker {escape(worker.name)!r} serving {escape(names)} (limit {limit})",
        highlight=False,
    )
    worker.run()


def _load_task(entrypoint: str) -> Any:
    from headwater.tasks import Task
    from headwater.utilities.entrypoints import load_object

    obj = load_object(entrypoint)
    if not isinstance(obj, Task):
        fail(f"{entrypoint!r} is not a task", hint="decorate the function with @task")
    return obj


def _module_tasks(module: str) -> list[Any]:
    import importlib
    import os
    import sys

    from headwater.tasks import Task

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        loaded = importlib.import_module(module)
    except Exception as exc:
        fail(f"cannot import module {module!r}: {exc!r}")
    found = [value for value in vars(loaded).values() if isinstance(value, Task)]
    if not found:
        fail(f"module {module!r} defines no tasks")
    return found
