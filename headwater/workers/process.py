"""``headwater worker start --pool P``: the worker of a ``process`` work pool."""

from __future__ import annotations

import logging
import os
import socket

from headwater.workers.polling import PollingLoop

logger = logging.getLogger("headwater.worker")


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:200]


def start_worker(
    pool_name: str,
    *,
    work_queue_names: list[str] | None = None,
    limit: int | None = None,
    run_once: bool = False,
    name: str | None = None,
) -> PollingLoop:
    """Poll ``pool_name`` and run its runs until stopped (or once); the finished loop
    (``.started`` runs).  ``WorkPoolNotFound`` for a missing pool or queue."""
    from headwater.client import open_client
    from headwater.settings import get_settings

    settings = get_settings()
    client = open_client()
    try:
        client.read_work_pool(pool_name)
        for queue in work_queue_names or ():
            client.read_work_queue(pool_name, queue)
        loop = PollingLoop(
            client,
            name=name or default_worker_name(),
            pool_name=pool_name,
            work_queue_names=work_queue_names,
            limit=limit,
            poll_seconds=settings.worker_poll_seconds,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
            grace_seconds=settings.cancel_grace_seconds,
            label="worker",
            run_once_hint=run_once,
        )
        loop.run(run_once=run_once)
        return loop
    finally:
        client.close()
