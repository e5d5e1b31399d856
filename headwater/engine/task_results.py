"""Results and caching for task runs: the cache key, the lookup, the lock, persisting.

Only task runs that persist results (or resume a failed flow run) come here: a task
run without result options and a flow without them never imports this module, so
the plain hot path is untouched (``TaskRun.plan`` is None).

A lookup is a read of ``<storage>/<cache key>``: the record's header says when it
expires and how to load the payload.  A miss takes the key's lock (file lock for a
local storage, a store row otherwise), looks again (another process may have
finished meanwhile), and only then runs the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from headwater.client.leases import process_holder
from headwater.exceptions import InvalidOptionError, MissingResult
from headwater.results.records import (
    CorruptResult,
    ResultRef,
    load_ref,
    read_result,
    ref_from_header,
    write_result,
)
from headwater.settings import get_settings
from headwater.states import StateType
from headwater.utilities.hashing import UnhashableError

if TYPE_CHECKING:
    from headwater.cache_policies import CachePolicy
    from headwater.context import FlowRunContext
    from headwater.engine.task_run import TaskRun
    from headwater.results.serializers import Serializer
    from headwater.results.storage import ResultStorage
    from headwater.tasks import Task

#: (task_key, dynamic_key) -> what the previous attempts of the flow run left
ResumeMap = dict[tuple[str, str], dict[str, Any]]


class FlowResults:
    """The result settings in force in one flow run (``FlowRunContext.results``)."""

    __slots__ = ("lock_timeout", "persist", "plans", "refresh", "resume", "serializer", "storage")

    def __init__(
        self,
        *,
        persist: bool,
        storage: ResultStorage,
        serializer: Serializer,
        refresh: bool,
        lock_timeout: float,
        resume: ResumeMap | None = None,
    ) -> None:
        self.persist = persist
        self.storage = storage
        self.serializer = serializer
        self.refresh = refresh
        self.lock_timeout = lock_timeout
        self.resume = resume
        self.plans: dict[Any, TaskPlan | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Sent to process-pool workers without the memoized plans."""
        state = {name: getattr(self, name) for name in self.__slots__}
        state["plans"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)


def default_results() -> FlowResults:
    """The settings' defaults (tasks outside any flow run, flows without options)."""
    from headwater.results.serializers import get_serializer
    from headwater.results.storage import get_storage

    settings = get_settings()
    return FlowResults(
        persist=settings.results_persist_by_default,
        storage=get_storage(settings.results_storage_or_default),
        serializer=get_serializer(settings.results_serializer),
        refresh=settings.results_refresh_cache,
        lock_timeout=settings.results_lock_timeout_seconds,
    )


_orphans: list[Any] = [None, None]


def _orphan_results() -> FlowResults:
    """Defaults for tasks called outside any flow run (rebuilt when settings change)."""
    settings = get_settings()
    if _orphans[0] is not settings:
        _orphans[1] = default_results()
        _orphans[0] = settings
    return _orphans[1]


def flow_results_for(
    flow: Any, parent: FlowResults | None, resume: ResumeMap | None
) -> FlowResults | None:
    """The result settings of a new flow run; None when nothing is persisted or
    cached in it (then its tasks take the fast path)."""
    options = flow.result_options
    settings = get_settings()
    if (
        options is None
        and parent is None
        and resume is None
        and not settings.results_persist_by_default
        and not settings.results_refresh_cache
    ):
        return None
    base = parent or default_results()
    persist = base.persist
    storage, serializer = base.storage, base.serializer
    if options is not None:
        if options.persist is not None:
            persist = options.persist
        storage = options.storage or storage
        serializer = options.serializer or serializer
    return FlowResults(
        persist=persist,
        storage=storage,
        serializer=serializer,
        refresh=base.refresh,
        lock_timeout=base.lock_timeout,
        resume=resume,
    )


class TaskPlan:
    """What to do with one task's results in one flow run (shared by its runs)."""

    __slots__ = (
        "expiration",
        "in_memory",
        "isolated",
        "key_template",
        "lock_manager",
        "lock_timeout",
        "persist",
        "policy",
        "refresh",
        "resume",
        "serializer",
        "storage",
    )

    def __init__(self, task: Task[Any, Any], results: FlowResults) -> None:
        from headwater.cache_policies import DEFAULT, NO_CACHE

        options = task.result_options
        self.persist = results.persist
        self.policy: CachePolicy | None = None
        self.expiration: float | None = None
        self.refresh = results.refresh
        self.storage = results.storage
        self.serializer = results.serializer
        self.key_template: str | None = None
        self.in_memory = True
        self.lock_timeout = results.lock_timeout
        self.resume = results.resume
        if options is not None:
            if options.persist is not None:
                self.persist = options.persist
            self.policy = options.cache_policy
            if options.cache_expiration is not None:
                self.expiration = options.cache_expiration.total_seconds()
            if options.refresh is not None:
                self.refresh = options.refresh
            self.storage = options.storage or self.storage
            self.serializer = options.serializer or self.serializer
            self.key_template = options.storage_key
            self.in_memory = options.in_memory
        if not self.persist:
            self.policy = None
        elif self.policy is None:
            self.policy = DEFAULT
        if self.policy is NO_CACHE:
            self.policy = None
        # Isolation of a cache key (``policy.configure``): SERIALIZABLE unless the
        # policy says READ_COMMITTED; the lock manager defaults to the storage's.
        self.isolated = True
        self.lock_manager: Any = None
        policy = self.policy
        if policy is not None:
            key_storage = getattr(policy, "key_storage", None)
            if key_storage is not None:
                from headwater.results.storage import get_storage

                self.storage = get_storage(key_storage)
            self.isolated = getattr(policy, "isolation_level", None) != "READ_COMMITTED"
            self.lock_manager = getattr(policy, "lock_manager", None)


def plan_for(task: Task[Any, Any], flow_ctx: FlowRunContext | None) -> TaskPlan | None:
    """The task's plan in this flow run, or None for the plain path."""
    if flow_ctx is not None:
        results = flow_ctx.results
        if results is None:
            if task.result_options is None:
                return None
            # The first task with result options in a plain flow run: the settings'
            # defaults hold for the rest of the run (and plans are memoized there).
            results = flow_ctx.results = default_results()
    else:
        results = _orphan_results()
        if task.result_options is None and not results.persist:
            return None
    plans = results.plans
    plan = plans.get(task, False)
    if plan is False:
        plan = TaskPlan(task, results)
        if not plan.persist and plan.resume is None:
            plan = None
        plans[task] = plan
    return plan  # type: ignore[return-value]


# -- cache keys -----------------------------------------------------------------------


def compute_key(run: TaskRun) -> str | None:
    """The run's cache key (also where its result is stored), or None: no cache."""
    plan = run.plan
    assert plan is not None
    if plan.key_template is not None:
        return _bounded(format_storage_key(run, plan.key_template))
    policy = plan.policy
    if policy is None:
        return None
    ctx = run.context or run.enter()
    task = run.task
    inputs = {**task.binder.defaults, **run.parameters} if task.binder.defaults else run.parameters
    flow_parameters = run.flow_ctx.parameters if run.flow_ctx is not None else {}
    try:
        key = policy.compute_key(ctx, inputs, flow_parameters)
    except UnhashableError as exc:
        run._logger().warning(
            "Argument %r of task %r cannot be hashed for its cache key (%s); "
            "running without the cache. Leave it out with cache_policy=INPUTS - %r.",
            exc.name,
            task.name,
            exc.reason,
            exc.name,
        )
        return None
    except Exception as exc:
        run._logger().warning(
            "Computing the cache key of task %r failed (%s: %s); running without the cache",
            task.name,
            type(exc).__name__,
            exc,
        )
        return None
    return None if key is None else _bounded(key)


def _bounded(key: str) -> str:
    """Keys longer than the store's column (500) are replaced by their hash."""
    if len(key) <= 500:
        return key
    from headwater.utilities.hashing import hash_bytes

    return hash_bytes(key.encode())


class _Run:
    """What ``result_storage_key`` templates see as ``task_run`` / ``flow_run``."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def format_storage_key(run: TaskRun, template: str) -> str:
    record = run.record
    flow_ctx = run.flow_ctx
    task_run = _Run(
        id=record.id,
        name=record.name,
        task_name=run.task.name,
        task_key=record.task_key,
        dynamic_key=record.dynamic_key,
        flow_run_id=record.flow_run_id,
    )
    flow_run = _Run(
        id=flow_ctx.flow_run_id if flow_ctx else None,
        name=flow_ctx.flow_run_name if flow_ctx else None,
        flow_name=flow_ctx.flow.name if flow_ctx else None,
        parameters=flow_ctx.parameters if flow_ctx else {},
    )
    parameters = {**run.task.binder.defaults, **run.parameters}
    try:
        key = template.format(parameters=parameters, task_run=task_run, flow_run=flow_run)
    except Exception as exc:
        raise InvalidOptionError(
            f"task {run.task.name!r}: result_storage_key {template!r} failed: {exc!r}"
        ) from None
    key = key.strip().lstrip("/")
    if not key or ".." in key.split("/"):
        raise InvalidOptionError(
            f"task {run.task.name!r}: result_storage_key {template!r} gave {key!r}"
        )
    return key


# -- lookups --------------------------------------------------------------------------


def _lookup(run: TaskRun, key: str) -> bool:
    """A valid cached result under ``key``: the run ends Cached (True)."""
    plan = run.plan
    assert plan is not None
    try:
        value, header = read_result(plan.storage, key)
    except FileNotFoundError:
        return False
    except (CorruptResult, OSError) as exc:
        run._logger().warning(
            "The cached result %r is unreadable (%s); running the task again", key, exc
        )
        return False
    expiration = header.get("expiration")
    if expiration is not None and expiration <= time.time():
        return False
    run.cached(value, ref_from_header(plan.storage, header, key))
    return True


def _resume(run: TaskRun, key: str | None) -> bool:
    """The previous attempt of this flow run finished this task and kept its result."""
    plan = run.plan
    assert plan is not None and plan.resume is not None
    record = run.record
    entry = plan.resume.get((record.task_key, record.dynamic_key))
    if entry is None or entry.get("state_type") != StateType.COMPLETED or not entry.get("result"):
        return False
    previous_key = entry.get("cache_key")
    if key is not None and previous_key is not None and previous_key != key:
        return False  # same place in the flow, different inputs: not the same work
    ref: ResultRef = entry["result"]
    try:
        value = load_ref(ref, None if ref.get("storage") else plan.storage)
    except MissingResult as exc:
        run._logger().warning("Cannot reuse the previous attempt's result (%s); running", exc)
        return False
    run.cached(value, ref)
    return True


def try_cached(run: TaskRun) -> bool:
    """Compute the key; True if the run was answered from a previous attempt or the cache."""
    plan = run.plan
    assert plan is not None
    key = run.cache_key = compute_key(run)
    if plan.resume is not None and _resume(run, key):
        return True
    if key is None or plan.refresh:
        return False
    return _lookup(run, key)


def _needs_lock(run: TaskRun) -> bool:
    plan = run.plan
    assert plan is not None
    return run.cache_key is not None and not plan.refresh and plan.persist and plan.isolated


@contextlib.contextmanager
def held(manager: Any, key: str, holder: str, timeout: float) -> Iterator[bool]:
    """Hold ``key``'s lock while inside; yields False if ``timeout`` passed first."""
    acquired = manager.acquire_lock(key, holder, acquire_timeout=timeout)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                manager.release_lock(key, holder)
            except Exception as exc:
                logger.warning("Could not release the lock on %r: %s", key, exc)


def _lock(run: TaskRun) -> Any:
    plan = run.plan
    assert plan is not None and run.cache_key is not None
    manager = plan.lock_manager
    if manager is None:

        def client() -> Any:
            flow_ctx = run.flow_ctx
            if flow_ctx is not None:
                return flow_ctx.backend.client
            from headwater.client.backend import get_backend

            return get_backend().client

        from headwater.locking import default_lock_manager

        manager = plan.lock_manager = default_lock_manager(plan.storage, client)
    holder = f"{process_holder()}:{run.record.id}"
    return held(manager, run.cache_key, holder, plan.lock_timeout)


def _lock_timed_out(run: TaskRun) -> None:
    assert run.plan is not None
    run._logger().warning(
        "Waited %.3g s for another run computing the same cache key; computing it here too",
        run.plan.lock_timeout,
    )


def _start(run: TaskRun) -> Any:
    """The cache answer (True: done), or the key's lock to hold while computing (None:
    compute without one).  A key template that fails, fails the run (no retries)."""
    try:
        if try_cached(run):
            return True
    except Exception as exc:
        run.set_running()
        run.failed(exc, final=True)
        return True
    if not _needs_lock(run):
        return None
    try:
        return _lock(run)
    except Exception as exc:  # e.g. a storage where the lock cannot be created
        run._logger().warning("Cannot lock the cache key (%s); computing without the lock", exc)
        return None


def _enter_failed(run: TaskRun, exc: Exception) -> None:
    run._logger().warning("Cannot lock the cache key (%s); computing without the lock", exc)


def run_sync(run: TaskRun, attempts: Callable[[], None]) -> None:
    """Answer from the cache, or run ``attempts`` under the key's lock."""
    lock = _start(run)
    if lock is True:
        return
    if lock is None:
        attempts()
        return
    assert run.cache_key is not None
    try:
        acquired = lock.__enter__()
    except Exception as exc:
        _enter_failed(run, exc)
        attempts()
        return
    try:
        if not acquired:
            _lock_timed_out(run)
        elif _lookup(run, run.cache_key):
            return
        attempts()
    finally:
        lock.__exit__(None, None, None)


async def run_async(run: TaskRun, attempts: Callable[[], Awaitable[None]]) -> None:
    lock = _start(run)
    if lock is True:
        return
    if lock is None:
        await attempts()
        return
    assert run.cache_key is not None
    try:
        acquired = await asyncio.to_thread(lock.__enter__)
    except Exception as exc:
        _enter_failed(run, exc)
        await attempts()
        return
    try:
        if not acquired:
            _lock_timed_out(run)
        elif _lookup(run, run.cache_key):
            return
        await attempts()
    finally:
        lock.__exit__(None, None, None)


# -- persisting -----------------------------------------------------------------------


def persist(run: TaskRun, value: Any) -> ResultRef | None:
    """Write a completed run's value (key: its cache key, else its id)."""
    plan = run.plan
    assert plan is not None
    if not plan.persist:
        return None
    key = run.cache_key or f"task-runs/{run.record.id}"
    expiration = time.time() + plan.expiration if plan.expiration is not None else None
    try:
        return write_result(plan.storage, key, value, plan.serializer, expiration)
    except Exception as exc:
        run._logger().warning(
            "Could not persist the result of task %r (%s: %s); it is kept in memory only",
            run.task.name,
            type(exc).__name__,
            exc,
        )
        return None


logger = logging.getLogger("headwater.results")
