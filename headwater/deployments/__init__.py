"""Deployments: flows that run without a person at the keyboard, on a schedule, from
the API/CLI/UI, on a machine chosen by a work pool.

``run_deployment``, ``serve``, ``RunnerDeployment``, ``GitRepository``,
``RemoteStorage`` and ``deploy``
are imported lazily, so ``import headwater.deployments`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.deployments.deployment import RunnerDeployment
    from headwater.deployments.project import deploy
    from headwater.deployments.remote_source import RemoteStorage
    from headwater.deployments.run import run_deployment
    from headwater.deployments.serving import serve
    from headwater.deployments.source import GitRepository

_EXPORTS = {
    "run_deployment": "headwater.deployments.run",
    "serve": "headwater.deployments.serving",
    "RunnerDeployment": "headwater.deployments.deployment",
    "GitRepository": "headwater.deployments.source",
    "RemoteStorage": "headwater.deployments.remote_source",
    "deploy": "headwater.deployments.project",
}

__all__ = [
    "GitRepository",
    "RemoteStorage",
    "RunnerDeployment",
    "arun_deployment",
    "deploy",
    "run_deployment",
    "serve",
]


async def arun_deployment(*args: Any, **kwargs: Any) -> Any:
    """``run_deployment`` for async code (it runs in a worker thread)."""
    import asyncio

    from headwater.deployments.run import run_deployment as run

    return await asyncio.to_thread(run, *args, **kwargs)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'headwater.deployments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
