"""``@flow``: a function whose calls become recorded flow runs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from headwater.exceptions import InvalidOptionError
from headwater.utilities.callables import (
    Binder,
    ParameterValidator,
    bind_target,
    bound_copy,
    unwrap_method,
)
from headwater.utilities.options import (
    add_hook,
    check_callable,
    check_hooks,
    check_known,
    check_name,
    check_non_negative_int,
    check_optional_bool,
    check_positive_number,
    check_retry_delay,
)
from headwater.utilities.tracebacks import install_excepthook, trim_engine_frames

if TYPE_CHECKING:
    from headwater.results.options import FlowResultOptions
    from headwater.task_runners.base import TaskRunner

install_excepthook()

P = ParamSpec("P")
R = TypeVar("R")

FLOW_OPTIONS = (
    "name",
    "description",
    "version",
    "flow_run_name",
    "retries",
    "retry_delay_seconds",
    "timeout_seconds",
    "validate_parameters",
    "task_runner",
    "log_prints",
    "on_completion",
    "on_failure",
    "on_cancellation",
    "on_crashed",
    "on_running",
    "persist_result",
    "result_storage",
    "result_serializer",
    "cache_result_in_memory",
)

_RESULT_OPTIONS = ("persist_result", "result_storage", "result_serializer")
HOOK_KINDS = ("on_completion", "on_failure", "on_cancellation", "on_crashed", "on_running")


class Flow(Generic[P, R]):
    """A decorated function; calling it runs a flow run (a subflow inside a flow)."""

    def __init__(self, fn: Callable[P, R], **options: Any) -> None:
        fn, self._method_kind = unwrap_method(fn)
        check_callable(fn, "@flow")
        check_known(options, FLOW_OPTIONS, "@flow")
        fn_name = getattr(fn, "__name__", type(fn).__name__)
        where = f"@flow {fn_name!r}"
        self.fn = fn
        self._options = options
        self.name: str = check_name(options.get("name"), "name", where) or fn_name.replace("_", "-")
        self.description: str | None = options.get("description") or inspect.getdoc(fn)
        self.version: str | None = options.get("version")
        self.retries = check_non_negative_int(options.get("retries"), "retries", where)
        self.retry_delay_seconds = check_retry_delay(
            options.get("retry_delay_seconds"), self.retries, where
        )
        self.timeout_seconds = check_positive_number(
            options.get("timeout_seconds"), "timeout_seconds", where
        )
        self.validate_parameters = check_optional_bool(
            options.get("validate_parameters", True), "validate_parameters", where
        )
        self.log_prints = bool(check_optional_bool(options.get("log_prints"), "log_prints", where))
        run_name = options.get("flow_run_name")
        if run_name is not None and not (isinstance(run_name, str) or callable(run_name)):
            raise InvalidOptionError(f"{where}: flow_run_name must be a string or a callable")
        self.flow_run_name: str | Callable[[], str] | None = run_name
        self.task_runner: TaskRunner = _check_task_runner(options.get("task_runner"), where)
        hooks = {kind: check_hooks(options.get(kind), kind, where) for kind in HOOK_KINDS}
        self.on_completion_hooks = hooks["on_completion"]
        self.on_failure_hooks = hooks["on_failure"]
        self.on_cancellation_hooks = hooks["on_cancellation"]
        self.on_crashed_hooks = hooks["on_crashed"]
        self.on_running_hooks = hooks["on_running"]
        self.is_async = inspect.iscoroutinefunction(fn)
        self.result_options: FlowResultOptions | None = None
        if any(options.get(k) is not None for k in _RESULT_OPTIONS):
            from headwater.results.options import flow_result_options

            self.result_options = flow_result_options(options, where)
        self._entrypoint: str | bool | None = False
        self._source: dict[str, Any] | None = None  # set by from_source
        self.binder = Binder(fn)
        self.validator = ParameterValidator(fn, self.binder) if self.validate_parameters else None
        self.__doc__ = fn.__doc__
        self.__name__ = fn_name
        self.__module__ = getattr(fn, "__module__", __name__)
        self.__qualname__ = getattr(fn, "__qualname__", fn_name)
        self.__wrapped__ = fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = bool(kwargs.pop("return_state", False)) if kwargs else False
        from headwater.engine import flow_lifecycle

        if self.is_async:
            return flow_lifecycle.run_flow_async(  # type: ignore[return-value]
                self, args, kwargs, return_state=return_state
            )
        try:
            return flow_lifecycle.run_flow_sync(self, args, kwargs, return_state=return_state)
        except Exception as exc:  # show the user's frames, not the engine's
            raise exc.with_traceback(trim_engine_frames(exc.__traceback__))  # noqa: B904

    def __get__(self, instance: Any, owner: Any = None) -> Flow[P, R]:
        """A flow defined on a class: bound to the instance (a method), to the class
        (``@classmethod``), or to nothing (``@staticmethod``), like a function."""
        target = bind_target(self._method_kind, instance, owner)
        if target is None:
            return self
        bound: Flow[P, R] = bound_copy(self, target)
        if self.validator is not None:
            bound.validator = ParameterValidator(bound.fn, bound.binder)
        return bound

    # -- hooks as decorators: ``@my_flow.on_failure`` ----------------------------------
    def _add_hook(self, kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        return add_hook(self, kind, fn, f"@flow {self.name!r}")

    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(flow, flow_run, state)`` when a run of this flow completes."""
        return self._add_hook("on_completion", fn)

    def on_failure(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(flow, flow_run, state)`` when a run of this flow fails."""
        return self._add_hook("on_failure", fn)

    def on_cancellation(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(flow, flow_run, state)`` when a run of this flow is cancelled."""
        return self._add_hook("on_cancellation", fn)

    def on_crashed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(flow, flow_run, state)`` when a run of this flow crashes."""
        return self._add_hook("on_crashed", fn)

    def on_running(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``fn(flow, flow_run, state)`` when a run of this flow starts running."""
        return self._add_hook("on_running", fn)

    def with_options(self, **options: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed."""
        check_known(options, FLOW_OPTIONS, f"{self.name}.with_options()")
        copy = Flow(self.fn, **{**self._options, **options})
        copy._source = self._source
        return copy

    # -- deployments (headwater.deployments; imported only when used) ---------------------
    @classmethod
    def from_source(cls, source: Any, entrypoint: str) -> Flow[Any, Any]:
        """The flow ``entrypoint`` (``"file.py:function"``) in ``source`` (a directory, a
        git URL, or ``GitRepository(url, branch=...)``), ready to ``.deploy(...)``:
        workers get the code from ``source`` before each run."""
        from headwater.deployments.source import load_from_source

        return load_from_source(source, entrypoint, load_flow)

    def to_deployment(self, name: str, **options: Any) -> Any:
        """A ``RunnerDeployment`` of this flow (for ``serve(...)``): ``cron=``,
        ``interval=``, ``rrule=``, ``schedules=``, ``parameters=``, ``tags=``,
        ``description=``, ``version=``, ``paused=``, ``concurrency_limit=``, ...;
        every option is checked now."""
        from headwater.deployments.deployment import from_flow

        if self._source is not None:
            options.setdefault("entrypoint", self._source["entrypoint"])
            options.setdefault("pull_steps", self._source["pull_steps"])
            options.setdefault("source", self._source["source"])
        return from_flow(self, name, **options)

    def serve(self, name: str | None = None, **options: Any) -> None:
        """Serve this flow: register a deployment and run its runs (scheduled, or
        started from the CLI/API/UI) in subprocesses until stopped."""
        from headwater.deployments.serving import flow_serve

        flow_serve(self, name, **options)

    def deploy(
        self,
        name: str,
        work_pool_name: str | None = None,
        work_queue_name: str | None = None,
        **options: Any,
    ) -> Any:
        """Create or update a deployment run by the workers of ``work_pool_name``; its id.

        Without ``from_source`` the workers load the flow from this machine's files
        (they change into the current directory first), or, with ``image=`` (a name or
        a ``DockerImage``) and ``build=True``, from the image built of the current
        directory (``push=True`` pushes it); see headwater.deployments.images."""
        import os

        from headwater.exceptions import InvalidOptionError

        image = options.pop("image", None)
        build, push = options.pop("build", True), options.pop("push", True)
        if not work_pool_name:
            raise InvalidOptionError(
                "deploy() needs work_pool_name=; create a pool with "
                "`headwater work-pool create NAME --type process` (or use flow.serve())"
            )
        if image is not None:
            from pathlib import Path

            from headwater.deployments.images import image_options

            entrypoint = None if self._source is not None else self.entrypoint
            image_options(
                image,
                build=bool(build),
                push=bool(push),
                context=Path.cwd(),
                entrypoint=entrypoint,
                options=options,
            )
        if self._source is None:
            options.setdefault(
                "pull_steps", [{"set_working_directory": {"directory": os.getcwd()}}]
            )
        deployment = self.to_deployment(
            name, work_pool_name=work_pool_name, work_queue_name=work_queue_name, **options
        )
        return deployment.apply()

    @property
    def entrypoint(self) -> str | None:
        """``module:function`` or ``/path/file.py:function``: how another process loads
        this flow (to retry a run in place); None for flows that cannot be loaded so."""
        if self._entrypoint is False:
            from headwater.utilities.entrypoints import entrypoint_of

            self._entrypoint = entrypoint_of(self.fn)
        return self._entrypoint  # type: ignore[return-value]

    def format_run_name(self, parameters: dict[str, Any]) -> str | None:
        template = self.flow_run_name
        if template is None:
            return None
        try:
            name = template() if callable(template) else template.format(**parameters)
        except Exception as exc:
            raise InvalidOptionError(
                f"flow {self.name!r}: flow_run_name {template!r} failed: {exc!r}"
            ) from None
        if not isinstance(name, str) or not name:
            raise InvalidOptionError(f"flow {self.name!r}: flow_run_name gave {name!r}")
        return name[:200]

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


def _check_task_runner(value: Any, where: str) -> TaskRunner:
    from headwater.task_runners.base import TaskRunner
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    if value is None:
        return ThreadPoolTaskRunner()
    if isinstance(value, type) and issubclass(value, TaskRunner):
        return value()
    if not isinstance(value, TaskRunner):
        raise InvalidOptionError(
            f"{where}: task_runner must be a task runner such as ThreadPoolTaskRunner(), "
            f"got {value!r}"
        )
    return value


@overload
def flow(__fn: Callable[P, R]) -> Flow[P, R]: ...


@overload
def flow(
    __fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    version: str | None = None,
    flow_run_name: str | Callable[[], str] | None = None,
    retries: int | None = None,
    retry_delay_seconds: float | list[float] | None = None,
    timeout_seconds: float | None = None,
    validate_parameters: bool = True,
    task_runner: TaskRunner | type[TaskRunner] | None = None,
    log_prints: bool | None = None,
    on_completion: list[Callable[..., Any]] | None = None,
    on_failure: list[Callable[..., Any]] | None = None,
    on_cancellation: list[Callable[..., Any]] | None = None,
    on_crashed: list[Callable[..., Any]] | None = None,
    on_running: list[Callable[..., Any]] | None = None,
    persist_result: bool | None = None,
    result_storage: Any = None,
    result_serializer: Any = None,
    cache_result_in_memory: bool = True,
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(__fn: Any = None, **options: Any) -> Any:
    """Make a function a flow: ``@flow`` or ``@flow(retries=2, ...)``."""
    check_known(options, FLOW_OPTIONS, "@flow")
    if __fn is None:
        return lambda fn: Flow(fn, **options)
    return Flow(__fn, **options)


# Prefect's spelling: ``flow.from_source(source=..., entrypoint=...).deploy(...)``.
flow.from_source = Flow.from_source  # type: ignore[attr-defined]


def load_flow(entrypoint: str) -> Flow[Any, Any]:
    """The ``Flow`` an entrypoint (``"file.py:function"``, ``"module:function"``) names
    (or that the object it names makes with ``__headwater_flow__()``);
    ``EntrypointError`` in one line when it names nothing or something else."""
    from headwater.utilities.entrypoints import EntrypointError, load_object

    obj = load_object(entrypoint)
    convert = getattr(obj, "__headwater_flow__", None)
    if not isinstance(obj, Flow) and callable(convert):
        obj = convert()  # another API's flow (a Prefect 1 flow of headwater.v1) as a @flow
    if not isinstance(obj, Flow):
        raise EntrypointError(
            f"entrypoint {entrypoint!r} is not a @flow (got {type(obj).__name__})"
        )
    return obj


def serve(*deployments: Any, **options: Any) -> None:
    """Prefect's ``prefect.flows.serve``: ``headwater.deployments.serving.serve``."""
    from headwater.deployments.serving import serve as serve_deployments

    serve_deployments(*deployments, **options)
