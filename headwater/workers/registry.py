"""Worker types by name: Headwater's own (``process``, ``docker``, ``kubernetes``) and
those packages register in the entry point group ``headwater.workers``::

    [project.entry-points."headwater.workers"]
    my-cloud = "my_package.worker:MyCloudWorker"   # a headwater.workers.base.WorkerType

A type's module is imported only when the type is used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from headwater.exceptions import UserInputError

if TYPE_CHECKING:
    from headwater.workers.base import WorkerType

ENTRY_POINT_GROUP = "headwater.workers"

_BUILT_IN = {
    "process": "headwater.workers.process:ProcessWorker",
    "docker": "headwater.workers.docker:DockerWorker",
    "kubernetes": "headwater.workers.kubernetes:KubernetesWorker",
}


def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def worker_type_names() -> list[str]:
    """Every known type, Headwater's first."""
    extra = sorted(set(_entry_points()) - set(_BUILT_IN))
    return [*_BUILT_IN, *extra]


def get_worker_type(name: str) -> type[WorkerType]:
    """The class of type ``name``; ``UserInputError`` naming the known ones if unknown."""
    from headwater.workers.base import WorkerType

    target = _BUILT_IN.get(name) or _entry_points().get(name)
    if target is None:
        raise UserInputError(
            f"unknown worker type {name!r} (known: {', '.join(worker_type_names())}); "
            f"a package adds one in the entry point group {ENTRY_POINT_GROUP!r}"
        )
    module_name, _, attribute = target.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise UserInputError(f"worker type {name!r} ({target}) cannot be loaded: {exc}") from exc
    if not (isinstance(found, type) and issubclass(found, WorkerType)):
        raise UserInputError(f"worker type {name!r} ({target}) is not a WorkerType subclass")
    return found
