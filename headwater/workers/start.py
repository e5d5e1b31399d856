"""``headwater worker start --pool P [--type T]``: a worker of the pool's type."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

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
    worker_type: str | None = None,
) -> PollingLoop:
    """Poll ``pool_name`` and run its runs with the pool's worker type until stopped (or
    once); the finished loop (``.started`` runs).  ``WorkPoolNotFound`` for a missing
    pool or queue, ``UserInputError`` for a type that is not the pool's."""
    from headwater.client import open_client
    from headwater.exceptions import UserInputError
    from headwater.settings import get_settings
    from headwater.workers.process import ProcessWorker
    from headwater.workers.registry import get_worker_type

    settings = get_settings()
    client = open_client()
    try:
        pool = client.read_work_pool(pool_name)
        if worker_type is not None and worker_type != pool.type:
            raise UserInputError(
                f"work pool {pool_name!r} is a {pool.type} pool, not {worker_type}; "
                f"start its worker with --type {pool.type}"
            )
        cls = get_worker_type(pool.type)
        for queue in work_queue_names or ():
            client.read_work_queue(pool_name, queue)
        worker_name = name or default_worker_name()
        options: dict[str, Any] = {
            "grace_seconds": settings.cancel_grace_seconds,
            "label": "worker",
            "pool_name": pool_name,
            "worker_name": worker_name,
            "base_job_template": pool.base_job_template or None,
        }
        if issubclass(cls, ProcessWorker):
            options["prewarm"] = not run_once
        runner = cls(client, **options)
        loop = PollingLoop(
            client,
            runner,
            name=worker_name,
            pool_name=pool_name,
            work_queue_names=work_queue_names,
            limit=limit,
            poll_seconds=settings.worker_poll_seconds,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
        )
        loop.run(run_once=run_once)
        return loop
    finally:
        client.close()
