"""``@task``: a function whose calls become recorded, retried, observable task runs."""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from headwater.exceptions import (
    InvalidOptionError,
    MappingLengthMismatch,
    MappingMissingIterable,
)
from headwater.utilities.callables import Binder, bind_target, bound_copy, unwrap_method
from headwater.utilities.options import (
    add_hook,
    check_callable,
    check_hooks,
    check_known,
    check_name,
    check_non_negative_int,
    check_non_negative_number,
    check_optional_bool,
    check_positive_number,
    check_retry_delay,
    check_tags,
)
from headwater.utilities.tracebacks import install_excepthook, trim_engine_frames

if TYPE_CHECKING:
    import datetime as dt

    from headwater.cache_policies import CachePolicy
    from headwater.engine.background import HeadwaterDistributedFuture
    from headwater.futures import HeadwaterFuture, HeadwaterFutureList
    from headwater.results.options import TaskResultOptions
    from headwater.states import State

install_excepthook()

P = ParamSpec("P")
R = TypeVar("R")

TASK_OPTIONS = (
    "name",
    "description",
    "tags",
    "version",
    "task_run_name",
    "retries",
    "retry_delay_seconds",
    "retry_jitter_factor",
    "retry_condition_fn",
    "timeout_seconds",
    "log_prints",
    "on_completion",
    "on_failure",
    "on_running",
    "on_commit",
    "on_rollback",
    "viz_return_value",
    "asset_deps",
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

_RESULT_OPTIONS = TASK_OPTIONS[TASK_OPTIONS.index("cache_policy") :]
HOOK_KINDS = ("on_completion", "on_failure", "on_running", "on_commit", "on_rollback")


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """``retry_delay_seconds=exponential_backoff(10)`` waits 10, 20, 40… seconds."""
    if isinstance(backoff_factor, bool) or not isinstance(backoff_factor, (int, float)):
        raise InvalidOptionError(f"backoff_factor must be a number, got {backoff_factor!r}")
    if backoff_factor < 0:
        raise InvalidOptionError(f"backoff_factor must be >= 0, got {backoff_factor!r}")

    def delays(retries: int) -> list[float]:
        return [float(backoff_factor) * 2**attempt for attempt in range(max(retries, 1))]

    return delays


class Task(Generic[P, R]):
    """A decorated function.  Call it to run it now (returns its value), ``submit``
    it to run concurrently (returns a future), or ``map`` it over iterables."""

    def __init__(self, fn: Callable[P, R], **options: Any) -> None:
        fn, self._method_kind = unwrap_method(fn)
        check_callable(fn, "@task")
        check_known(options, TASK_OPTIONS, "@task")
        where = f"@task {getattr(fn, '__name__', fn)!r}"
        self.fn = fn
        self._options = options
        self.name: str = check_name(options.get("name"), "name", where) or str(
            getattr(fn, "__name__", type(fn).__name__)
        )
        self.description: str | None = options.get("description") or inspect.getdoc(fn)
        self.version: str | None = options.get("version")
        self.tags = check_tags(options.get("tags"), where)
        self.sorted_tags = sorted(self.tags)
        self.retries = check_non_negative_int(options.get("retries"), "retries", where)
        self.retry_delay_seconds = check_retry_delay(
            options.get("retry_delay_seconds"), self.retries, where
        )
        self.retry_jitter_factor = check_non_negative_number(
            options.get("retry_jitter_factor"), "retry_jitter_factor", where
        )
        condition = options.get("retry_condition_fn")
        if condition is not None and not callable(condition):
            raise InvalidOptionError(f"{where}: retry_condition_fn must be callable")
        self.retry_condition_fn = condition
        self.timeout_seconds = check_positive_number(
            options.get("timeout_seconds"), "timeout_seconds", where
        )
        self.log_prints = check_optional_bool(options.get("log_prints"), "log_prints", where)
        if self.log_prints:
            from headwater.logging.prints import install_print_capture

            install_print_capture()
        hooks = {kind: check_hooks(options.get(kind), kind, where) for kind in HOOK_KINDS}
        self.on_completion_hooks = hooks["on_completion"]
        self.on_failure_hooks = hooks["on_failure"]
        self.on_running_hooks = hooks["on_running"]
        # Kept for transactions (issue 13): run when a transaction commits/rolls back.
        self.on_commit_hooks = hooks["on_commit"]
        self.on_rollback_hooks = hooks["on_rollback"]
        run_name = options.get("task_run_name")
        if run_name is not None and not (isinstance(run_name, str) or callable(run_name)):
            raise InvalidOptionError(f"{where}: task_run_name must be a string or a callable")
        self.task_run_name: str | Callable[[], str] | None = run_name
        self.is_async = inspect.iscoroutinefunction(fn)
        self.binder = Binder(fn)
        self.task_key = _task_key(fn, self.name)
        # None unless a result/cache option is set (then headwater.results is imported).
        self.result_options: TaskResultOptions | None = None
        if any(options.get(name) is not None for name in _RESULT_OPTIONS):
            from headwater.results.options import task_result_options

            self.result_options = task_result_options(options, where)
        self._orphan_keys: Iterator[int] = itertools.count()
        functools.update_wrapper(self, fn)

    # -- calling ------------------------------------------------------------------
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = kwargs.pop("return_state", False) if kwargs else False
        wait_for = kwargs.pop("wait_for", None) if kwargs else None
        if self.is_async:
            from headwater.engine.task_engine import call_task_async

            return call_task_async(  # type: ignore[return-value]
                self, args, kwargs, wait_for=wait_for, return_state=bool(return_state)
            )
        from headwater.engine.task_engine import call_task_sync

        try:
            return call_task_sync(
                self, args, kwargs, wait_for=wait_for, return_state=bool(return_state)
            )
        except Exception as exc:  # show the user's frames, not the engine's
            raise exc.with_traceback(trim_engine_frames(exc.__traceback__))  # noqa: B904

    def submit(self, *args: Any, **kwargs: Any) -> HeadwaterFuture[R]:
        """Run concurrently on the flow's task runner; returns a future at once."""
        wait_for = kwargs.pop("wait_for", None)
        kwargs.pop("return_state", None)
        runner, flow_ctx = _runner_and_context()
        return runner.submit(self, args, kwargs, wait_for=wait_for, flow_ctx=flow_ctx)

    def map(self, *args: Any, **kwargs: Any) -> HeadwaterFutureList[R]:
        """Submit one task run per element of the iterable arguments.

        Iterable arguments (lists, tuples, ranges, generators, future lists…) are
        iterated together and must have equal lengths; wrap one in ``unmapped`` to
        pass it whole.  Strings, bytes and dicts are passed whole.  With
        ``deferred=True`` the runs go to task workers (as ``delay``): a list of handles.
        """
        from headwater.futures import HeadwaterFuture, HeadwaterFutureList
        from headwater.utilities.annotations import unmapped

        wait_for = kwargs.pop("wait_for", None)
        kwargs.pop("return_state", None)
        deferred = bool(kwargs.pop("deferred", False))
        bound = self.binder.bind(args, kwargs)
        mapped: dict[str, list[Any]] = {}
        static: dict[str, Any] = {}
        for key, value in bound.items():
            if isinstance(value, HeadwaterFuture):
                value = value.result()
            if isinstance(value, unmapped):
                static[key] = value.value
            elif _is_mappable(value):
                mapped[key] = list(value)
            else:
                static[key] = value
        if not mapped:
            raise MappingMissingIterable(
                f"task {self.name!r}.map() needs at least one iterable argument; "
                "got none (wrap constant arguments in unmapped())"
            )
        lengths = {key: len(values) for key, values in mapped.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}={n}" for k, n in lengths.items())
            raise MappingLengthMismatch(
                f"task {self.name!r}.map() got iterables of different lengths: {shown}"
            )
        count = next(iter(lengths.values()))
        calls = []
        for index in range(count):
            parameters = dict(static)
            for key, values in mapped.items():
                parameters[key] = values[index]
            calls.append(self.binder.call_args(parameters))
        if deferred:  # background runs for task workers, submitted in one write
            from headwater.engine.background import submit_many

            if wait_for:
                raise InvalidOptionError(
                    f"task {self.name!r}.map(deferred=True): wait_for is not supported"
                )
            return submit_many(self, calls)  # type: ignore[return-value]
        runner, flow_ctx = _runner_and_context()
        futures: HeadwaterFutureList[R] = HeadwaterFutureList()
        for call_args, call_kwargs in calls:
            futures.append(
                runner.submit(self, call_args, call_kwargs, wait_for=wait_for, flow_ctx=flow_ctx)
            )
        return futures

    # -- background runs (task workers) ------------------------------------------------
    def delay(self, *args: P.args, **kwargs: P.kwargs) -> HeadwaterDistributedFuture[R]:
        """Submit a run for a task worker serving this task (``headwater task serve``,
        ``headwater.task_worker.serve``); returns its handle at once, no flow needed."""
        from headwater.engine.background import submit

        return submit(self, args, kwargs)

    def apply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        wait_for: Any = None,
    ) -> HeadwaterDistributedFuture[R]:
        """``delay`` with the arguments as a tuple and a dict (Prefect's spelling)."""
        from headwater.engine.background import submit

        if wait_for:
            raise InvalidOptionError(
                f"task {self.name!r}.apply_async(): wait_for is not supported for "
                "background runs; wait for the upstream handles before submitting"
            )
        return submit(self, tuple(args or ()), dict(kwargs or {}))

    def serve(self, *, limit: int | None = 10) -> None:
        """Run a task worker for this task in this process until stopped (Ctrl-C)."""
        from headwater.task_worker import serve

        serve(self, limit=limit)

    def __get__(self, instance: Any, owner: Any = None) -> Task[P, R]:
        """A task defined on a class binds like a method (see ``Flow.__get__``)."""
        target = bind_target(self._method_kind, instance, owner)
        if target is None:
            return self
        bound: Task[P, R] = bound_copy(self, target)
        return bound

    # -- hooks as decorators: ``@my_task.on_failure`` -----------------------------------
    def _add_hook(self, kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        return add_hook(self, kind, fn, f"@task {self.name!r}")

    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(task, task_run, state)`` when a run of this task completes."""
        return self._add_hook("on_completion", fn)

    def on_failure(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(task, task_run, state)`` when a run of this task fails for good."""
        return self._add_hook("on_failure", fn)

    def on_running(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(task, task_run, state)`` each time a run of this task starts running."""
        return self._add_hook("on_running", fn)

    def on_commit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Keep ``fn(transaction)`` for when a transaction around this task commits."""
        return self._add_hook("on_commit", fn)

    def on_rollback(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Keep ``fn(transaction)`` for when a transaction around this task rolls back."""
        return self._add_hook("on_rollback", fn)

    # -- options --------------------------------------------------------------------
    def with_options(self, **options: Any) -> Task[P, R]:
        """A copy of this task with some options changed."""
        check_known(options, TASK_OPTIONS, f"{self.name}.with_options()")
        return Task(self.fn, **{**self._options, **options})

    def retry_delay_for(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (1-based), jitter included."""
        spec = self.retry_delay_seconds
        delay = spec[min(attempt, len(spec)) - 1] if isinstance(spec, list) else spec
        jitter = self.retry_jitter_factor
        if jitter and delay > 0:
            delay = max(0.0, delay * random.uniform(1 - jitter, 1 + jitter))
        return delay

    def format_run_name(self, parameters: dict[str, Any]) -> str:
        template = self.task_run_name
        try:
            if callable(template):
                return str(template())
            assert template is not None
            return template.format(**parameters)
        except Exception as exc:
            raise InvalidOptionError(
                f"task {self.name!r}: task_run_name {template!r} failed: {exc!r}"
            ) from None

    def next_orphan_key(self) -> str:
        """Dynamic keys for runs of this task outside any flow run."""
        return str(next(self._orphan_keys))

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


def _is_mappable(value: Any) -> bool:
    if isinstance(value, (str, bytes, bytearray, dict)):
        return False
    return isinstance(value, Iterable)


def _runner_and_context() -> tuple[Any, Any]:
    from headwater.context import FlowRunContext

    flow_ctx = FlowRunContext.get()
    if flow_ctx is not None:
        return flow_ctx.task_runner, flow_ctx
    return _default_runner(), None


@functools.lru_cache(maxsize=1)
def _default_runner() -> Any:
    """The runner for tasks submitted outside any flow run."""
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    runner = ThreadPoolTaskRunner()
    runner.start()
    return runner


def _task_key(fn: Callable[..., Any], name: str) -> str:
    """Stable across processes (used to match task runs between attempts)."""
    from headwater.utilities.entrypoints import stable_module_name

    module = stable_module_name(getattr(fn, "__module__", "") or "")
    where = f"{module}.{getattr(fn, '__qualname__', name)}"
    digest = hashlib.sha1(where.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name}-{digest}"


@overload
def task(__fn: Callable[P, R]) -> Task[P, R]: ...


@overload
def task(
    __fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    version: str | None = None,
    task_run_name: str | Callable[[], str] | None = None,
    retries: int | None = None,
    retry_delay_seconds: float | list[float] | Callable[[int], list[float]] | None = None,
    retry_jitter_factor: float | None = None,
    retry_condition_fn: Callable[[Any, Any, State], bool] | None = None,
    timeout_seconds: float | None = None,
    log_prints: bool | None = None,
    on_completion: list[Callable[..., Any]] | None = None,
    on_failure: list[Callable[..., Any]] | None = None,
    on_running: list[Callable[..., Any]] | None = None,
    on_commit: list[Callable[..., Any]] | None = None,
    on_rollback: list[Callable[..., Any]] | None = None,
    viz_return_value: Any = None,
    asset_deps: Any = None,
    cache_policy: CachePolicy | None = None,
    cache_key_fn: Callable[[Any, dict[str, Any]], str | None] | None = None,
    cache_expiration: dt.timedelta | None = None,
    refresh_cache: bool | None = None,
    persist_result: bool | None = None,
    result_storage: Any = None,
    result_serializer: Any = None,
    result_storage_key: str | None = None,
    cache_result_in_memory: bool = True,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(__fn: Any = None, **options: Any) -> Any:
    """Make a function a task: ``@task`` or ``@task(retries=3, ...)``."""
    check_known(options, TASK_OPTIONS, "@task")
    if __fn is None:
        return lambda fn: Task(fn, **options)
    return Task(__fn, **options)


def task_input_hash(context: Any, arguments: dict[str, Any]) -> str | None:
    """Prefect's ``cache_key_fn``: a hash of the task (its key and code) and its
    arguments.  None (no caching) when an argument cannot be hashed; a warning names it.
    """
    from headwater.utilities.hashing import UnhashableError, hash_named

    task = context.task
    prefix = getattr(task, "_input_hash_prefix", None)
    if prefix is None:
        code = getattr(getattr(task.fn, "__code__", None), "co_code", b"")
        prefix = task._input_hash_prefix = f"{task.task_key}|{code.hex()}|"
    try:
        return hash_named(arguments, prefix)
    except UnhashableError as exc:
        from headwater.logging.loggers import get_run_logger

        try:
            get_run_logger().warning(
                "Argument %r of task %r cannot be hashed for its cache key (%s); "
                "running without the cache",
                exc.name,
                task.name,
                exc.reason,
            )
        except Exception:
            pass
        return None
