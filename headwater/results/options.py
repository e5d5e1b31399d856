"""The result and cache options of ``@task`` and ``@flow``, checked at decoration time.

Rules (Prefect 3's):
- a task persists its result when ``persist_result=True``, or when it asks for
  caching or a result location (``cache_policy``, ``cache_key_fn``,
  ``result_storage``, ``result_serializer``, ``result_storage_key``); otherwise it
  follows its flow (``@flow(persist_result=...)``), then the setting
  ``HEADWATER_RESULTS_PERSIST_BY_DEFAULT`` (off);
- a persisting task caches with its ``cache_policy`` (``DEFAULT`` when none is given);
  ``NO_CACHE`` persists without caching;
- ``persist_result=False`` together with a cache option is an error: a cache hit is
  a persisted result read back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from headwater.cache_policies import NO_CACHE, CacheKeyFnPolicy, CachePolicy
from headwater.exceptions import InvalidOptionError
from headwater.results.serializers import Serializer, check_serializer
from headwater.results.storage import ResultStorage, check_storage
from headwater.utilities.options import check_optional_bool

TASK_RESULT_OPTIONS = (
    "cache_policy",
    "cache_key_fn",
    "cache_expiration",
    "refresh_cache",
    "persist_result",
    "result_storage",
    "result_serializer",
    "result_storage_key",
    "cache_result_in_memory",
)
FLOW_RESULT_OPTIONS = ("persist_result", "result_storage", "result_serializer")


class TaskResultOptions:
    """A task's checked result options (None fields follow the flow and settings)."""

    __slots__ = (
        "cache_expiration",
        "cache_policy",
        "in_memory",
        "persist",
        "refresh",
        "serializer",
        "storage",
        "storage_key",
    )

    def __init__(self) -> None:
        self.persist: bool | None = None
        self.cache_policy: CachePolicy | None = None
        self.cache_expiration: dt.timedelta | None = None
        self.refresh: bool | None = None
        self.storage: ResultStorage | None = None
        self.serializer: Serializer | None = None
        self.storage_key: str | None = None
        self.in_memory = True


def task_result_options(options: dict[str, Any], where: str) -> TaskResultOptions | None:
    """Check a task's result options; None when it sets none of them (the fast path)."""
    if not any(options.get(name) is not None for name in TASK_RESULT_OPTIONS):
        return None
    out = TaskResultOptions()
    policy = options.get("cache_policy")
    key_fn = options.get("cache_key_fn")
    if policy is not None and not isinstance(policy, CachePolicy):
        raise InvalidOptionError(
            f"{where}: cache_policy must be a cache policy such as INPUTS or DEFAULT "
            f"(from headwater.cache_policies), got {policy!r}"
        )
    if key_fn is not None:
        if not callable(key_fn):
            raise InvalidOptionError(f"{where}: cache_key_fn must be callable, got {key_fn!r}")
        if policy is not None:
            raise InvalidOptionError(f"{where}: give cache_policy or cache_key_fn, not both")
        policy = CacheKeyFnPolicy(key_fn)
    expiration = options.get("cache_expiration")
    if expiration is not None:
        if not isinstance(expiration, dt.timedelta):
            raise InvalidOptionError(
                f"{where}: cache_expiration must be a datetime.timedelta "
                f"(e.g. timedelta(hours=1)), got {type(expiration).__name__} {expiration!r}"
            )
        if expiration <= dt.timedelta(0):
            raise InvalidOptionError(
                f"{where}: cache_expiration must be positive, got {expiration}"
            )
    storage_key = options.get("result_storage_key")
    if storage_key is not None and (not isinstance(storage_key, str) or not storage_key.strip()):
        raise InvalidOptionError(
            f"{where}: result_storage_key must be a non-empty string template such as "
            "'{parameters[name]}-{task_run.id}'"
        )
    out.persist = check_optional_bool(options.get("persist_result"), "persist_result", where)
    out.refresh = check_optional_bool(options.get("refresh_cache"), "refresh_cache", where)
    in_memory = check_optional_bool(
        options.get("cache_result_in_memory"), "cache_result_in_memory", where
    )
    out.in_memory = True if in_memory is None else in_memory
    out.storage = check_storage(options.get("result_storage"), where)
    out.serializer = check_serializer(options.get("result_serializer"), where)
    out.storage_key = storage_key
    out.cache_expiration = expiration
    wants_cache = policy is not None and policy is not NO_CACHE
    if out.persist is False and (wants_cache or storage_key is not None):
        raise InvalidOptionError(
            f"{where}: caching needs a persisted result; drop persist_result=False "
            "or the cache option"
        )
    if out.persist is None and (
        wants_cache
        or storage_key is not None
        or out.storage is not None
        or out.serializer is not None
    ):
        out.persist = True
    if out.persist is False and not out.in_memory:
        raise InvalidOptionError(
            f"{where}: cache_result_in_memory=False needs persist_result=True "
            "(the result must be kept somewhere)"
        )
    out.cache_policy = policy
    return out


class FlowResultOptions:
    """A flow's checked result options (None fields follow the parent flow and settings)."""

    __slots__ = ("persist", "serializer", "storage")

    def __init__(self) -> None:
        self.persist: bool | None = None
        self.storage: ResultStorage | None = None
        self.serializer: Serializer | None = None


def flow_result_options(options: dict[str, Any], where: str) -> FlowResultOptions | None:
    if not any(options.get(name) is not None for name in FLOW_RESULT_OPTIONS):
        return None
    out = FlowResultOptions()
    out.persist = check_optional_bool(options.get("persist_result"), "persist_result", where)
    out.storage = check_storage(options.get("result_storage"), where)
    out.serializer = check_serializer(options.get("result_serializer"), where)
    if out.persist is None and (out.storage is not None or out.serializer is not None):
        out.persist = True
    return out
