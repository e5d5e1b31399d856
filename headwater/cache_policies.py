"""Cache policies: what a task's cache key is made of (Prefect 3's names).

``INPUTS`` (the task's arguments), ``TASK_SOURCE`` (its code), ``FLOW_PARAMETERS``
(the flow run's parameters), ``RUN_ID`` (the flow run), ``NO_CACHE``, and ``DEFAULT``
(= ``INPUTS + TASK_SOURCE + RUN_ID``).  Combine them with ``+``; leave an argument
out with ``INPUTS - "name"``.  A policy is any object with
``compute_key(task_ctx, inputs, flow_parameters, **kwargs) -> str | None``; None
means "do not cache this call".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from headwater.utilities.hashing import hash_bytes, hash_named, hash_objects


class CachePolicy:
    """Base class: subclass it and implement ``compute_key``.

    ``configure(key_storage=, lock_manager=, isolation_level=)`` returns a copy that
    keeps its records in ``key_storage`` (a path, URL or storage), and isolates two
    runs computing the same key with ``lock_manager`` (from ``headwater.locking``) at
    ``isolation_level`` (``"SERIALIZABLE"``, the default for cached tasks: computed
    once; ``"READ_COMMITTED"``: no lock, both may compute).
    """

    key_storage: Any = None
    lock_manager: Any = None
    isolation_level: Any = None

    def configure(
        self,
        key_storage: Any = None,
        lock_manager: Any = None,
        isolation_level: Any = None,
    ) -> CachePolicy:
        """A copy of this policy with where its records live and how it isolates."""
        import copy

        if isolation_level is not None:
            name = getattr(isolation_level, "value", isolation_level)
            if name not in ("READ_COMMITTED", "SERIALIZABLE"):
                raise ValueError(
                    "isolation_level must be READ_COMMITTED or SERIALIZABLE, "
                    f"got {isolation_level!r}"
                )
            isolation_level = name
        if lock_manager is not None and not callable(getattr(lock_manager, "acquire_lock", None)):
            raise ValueError(
                "lock_manager must be a lock manager such as "
                f"headwater.locking.FileSystemLockManager(path), got {lock_manager!r}"
            )
        new = copy.copy(self)
        if key_storage is not None:
            new.key_storage = key_storage
        if lock_manager is not None:
            new.lock_manager = lock_manager
        if isolation_level is not None:
            new.isolation_level = isolation_level
        return new

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        raise NotImplementedError

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        if isinstance(other, NoCache):
            return self
        return CompoundCachePolicy([*_parts(self), *_parts(other)])

    def __sub__(self, name: str) -> CachePolicy:
        if not isinstance(name, str):
            raise TypeError(
                f"subtract an argument name (a string) from a cache policy, got {name!r}"
            )
        return self

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))

    def __repr__(self) -> str:
        return type(self).__name__


def _parts(policy: CachePolicy) -> list[CachePolicy]:
    return list(policy.policies) if isinstance(policy, CompoundCachePolicy) else [policy]


class CompoundCachePolicy(CachePolicy):
    """Several policies together: the key covers all of their keys (None ones skipped)."""

    def __init__(self, policies: list[CachePolicy]) -> None:
        unique: list[CachePolicy] = []
        for policy in policies:
            if policy not in unique:
                unique.append(policy)
        self.policies = unique
        for name in ("key_storage", "lock_manager", "isolation_level"):
            value = next((getattr(p, name) for p in unique if getattr(p, name) is not None), None)
            if value is not None:
                setattr(self, name, value)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        keys = []
        for policy in self.policies:
            key = policy.compute_key(task_ctx, inputs, flow_parameters, **kwargs)
            if key is not None:
                keys.append(key)
        if not keys:
            return None
        return hash_bytes("|".join(keys).encode())

    def __sub__(self, name: str) -> CachePolicy:
        super().__sub__(name)
        return CompoundCachePolicy([p - name for p in self.policies])

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.policies)


class NoCache(CachePolicy):
    """Never cache: every call runs."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if not isinstance(other, CachePolicy):
            return NotImplemented
        return other

    def __repr__(self) -> str:
        return "NO_CACHE"


class Inputs(CachePolicy):
    """The task's arguments (all but ``exclude``), for this task."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self.exclude = tuple(exclude)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if self.exclude:
            inputs = {k: v for k, v in inputs.items() if k not in self.exclude}
        # The task's key is part of it, so two tasks called with the same arguments
        # never share a result (with Prefect's INPUTS alone they would).
        return hash_named(inputs, f"{task_ctx.task.task_key}|")

    def __sub__(self, name: str) -> CachePolicy:
        super().__sub__(name)
        return Inputs((*self.exclude, name))

    def __repr__(self) -> str:
        if not self.exclude:
            return "INPUTS"
        return "INPUTS - " + " - ".join(repr(name) for name in self.exclude)


class TaskSource(CachePolicy):
    """The task function's source code (a change to the code invalidates the cache)."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        task = task_ctx.task
        key = getattr(task, "_source_key", None)
        if key is None:
            key = task._source_key = source_key(task.fn)
        return key

    def __repr__(self) -> str:
        return "TASK_SOURCE"


def source_key(fn: Callable[..., Any]) -> str:
    """A hash of a function's source (or of its bytecode when the source is unavailable)."""
    try:
        return hash_bytes(inspect.getsource(fn).encode())
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if code is None:
            return hash_bytes(repr(fn).encode())
        return hash_bytes(code.co_code + repr(code.co_consts).encode())


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return hash_named(flow_parameters or {})

    def __repr__(self) -> str:
        return "FLOW_PARAMETERS"


class RunId(CachePolicy):
    """The flow run (outside a flow run: the task run, so nothing is shared)."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        run_id = task_ctx.flow_run_id or task_ctx.task_run_id
        return str(run_id)

    def __repr__(self) -> str:
        return "RUN_ID"


class CacheKeyFnPolicy(CachePolicy):
    """A user function ``fn(context, arguments) -> str | None`` (Prefect's ``cache_key_fn``)."""

    def __init__(self, cache_key_fn: Callable[[Any, dict[str, Any]], str | None]) -> None:
        self.cache_key_fn = cache_key_fn

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        key = self.cache_key_fn(task_ctx, inputs)
        return None if key is None else str(key)

    def __repr__(self) -> str:
        return f"CacheKeyFnPolicy({getattr(self.cache_key_fn, '__name__', self.cache_key_fn)})"


INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
NO_CACHE = NoCache()
NONE = NO_CACHE  # Prefect's other name for it
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NO_CACHE",
    "RUN_ID",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "FlowParameters",
    "Inputs",
    "NoCache",
    "RunId",
    "TaskSource",
    "hash_objects",
]
