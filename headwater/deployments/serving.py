"""``serve(*deployments)`` / ``flow.serve(...)``: one long-running process that
registers deployments (without a work pool) and runs their runs in subprocesses.

With a server (``HEADWATER_API_URL``) the server schedules the runs and wakes this
process through a long-poll.  Without one, on the embedded store, this process runs
the scheduler and the other services itself.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from headwater.deployments.deployment import RunnerDeployment

logger = logging.getLogger("headwater.serve")


def serve(
    *deployments: RunnerDeployment,
    limit: int | None = None,
    print_starting_message: bool = True,
    run_once: bool = False,
) -> None:
    """Register ``deployments`` and run their runs until stopped (Ctrl-C)."""
    from headwater.client import open_client
    from headwater.exceptions import InvalidOptionError
    from headwater.settings import get_settings
    from headwater.workers.polling import PollingLoop
    from headwater.workers.process import ProcessWorker

    if not deployments:
        raise InvalidOptionError("serve() needs at least one deployment (flow.to_deployment(...))")
    for deployment in deployments:
        if not isinstance(deployment, RunnerDeployment):
            raise InvalidOptionError(
                f"serve() takes deployments made by flow.to_deployment(...), got {deployment!r}"
            )
        if deployment.work_pool_name:
            raise InvalidOptionError(
                f"deployment {deployment.full_name!r} has a work pool: a worker runs it, "
                "not serve(); use flow.deploy(...) for it"
            )
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InvalidOptionError(f"limit must be a positive integer, got {limit!r}")
    settings = get_settings()
    client = open_client()
    services = None
    try:
        ids = [deployment.apply(client) for deployment in deployments]
        from headwater.client.local import LocalClient

        if isinstance(client, LocalClient):  # no server: this process keeps the schedules
            services = client.start_services(settings.services_loop_seconds)
        if print_starting_message:
            _print_started(deployments)
        runner = ProcessWorker(
            client,
            grace_seconds=settings.cancel_grace_seconds,
            label="serve process",
            prewarm=not run_once,
        )
        loop = PollingLoop(
            client,
            runner,
            name=f"serve-{socket.gethostname()}-{os.getpid()}"[:200],
            deployment_ids=ids,
            limit=limit,
            poll_seconds=settings.worker_poll_seconds,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
        )
        loop.run(run_once=run_once)
    finally:
        if services is not None:
            services.stop()
        client.close()


def _print_started(deployments: tuple[RunnerDeployment, ...]) -> None:
    from rich.console import Console

    console = Console(highlight=False, stderr=True)
    names = ", ".join(f"[bold]{d.full_name}[/bold]" for d in deployments)
    console.print(f"Serving {names}. Stop with Ctrl-C.")
    first = deployments[0].full_name
    console.print(f"Run one with: [bold]headwater deployment run '{first}'[/bold]")


def flow_serve(flow: Any, name: str | None = None, **options: Any) -> None:
    """``flow.serve(name, cron=, interval=, rrule=, schedules=, parameters=, ...)``."""
    limit = options.pop("limit", None)
    print_starting_message = options.pop("print_starting_message", True)
    deployment = flow.to_deployment(name or flow.name, **options)
    serve(deployment, limit=limit, print_starting_message=print_starting_message)
