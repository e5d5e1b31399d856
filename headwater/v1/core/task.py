"""Prefect 1 tasks: ``Task`` subclasses with ``run()`` and the ``@task`` decorator.

Calling a task inside ``with Flow(...)`` does not run it: it copies the task, adds the
copy to the flow with its arguments as edges (tasks) or constants, and returns the
copy, which stands for the task's result in the rest of the block.
"""

from __future__ import annotations

import copy as copy_module
import datetime as dt
import inspect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from headwater.v1 import triggers
from headwater.v1.building import current_flow
from headwater.v1.core.edge import flatten, unmapped
from headwater.v1.engine import signals
from headwater.v1.exceptions import V1GraphError

_SLUGS = itertools.count(1)
_CALL_KEYWORDS = ("mapped", "task_args", "upstream_tasks", "flow")


class Task:
    """A unit of work.  Subclass it and write ``run(self, ...)``, or use ``@task``."""

    def __init__(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Any = None,
        max_retries: int | None = None,
        retry_delay: dt.timedelta | None = None,
        timeout: int | dt.timedelta | None = None,
        trigger: Callable[[dict[Any, Any]], bool] | None = None,
        skip_on_upstream_skip: bool = True,
        cache_for: Any = None,
        cache_validator: Any = None,
        cache_key: Any = None,
        checkpoint: bool | None = None,
        state_handlers: list[Callable[..., Any]] | None = None,
        on_failure: Callable[..., Any] | None = None,
        log_stdout: bool = False,
        result: Any = None,
        target: Any = None,
        task_run_name: Any = None,
        nout: int | None = None,
    ) -> None:
        where = f"task {name or type(self).__name__!r}"
        self.name = name or type(self).__name__
        self.slug = slug
        self.tags = set(tags or ())
        if max_retries is None:
            max_retries = 0
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise V1GraphError(f"{where}: max_retries must be a whole number >= 0")
        if max_retries > 0 and not isinstance(retry_delay, dt.timedelta):
            raise V1GraphError(
                f"{where}: a datetime.timedelta `retry_delay` must be provided if max_retries > 0"
            )
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        if isinstance(timeout, dt.timedelta):
            timeout = int(timeout.total_seconds())
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)):
            raise V1GraphError(f"{where}: timeout must be whole seconds or a timedelta")
        self.timeout = timeout
        self.trigger = trigger or triggers.all_successful
        self.skip_on_upstream_skip = skip_on_upstream_skip
        # Accepted so ported code keeps working; Headwater keeps results in memory
        # for flow.run() and does not checkpoint v1 results (docs/v1.md).
        self.cache_for = cache_for
        self.cache_validator = cache_validator
        self.cache_key = cache_key
        self.checkpoint = checkpoint
        self.result = result
        self.target = target
        self.task_run_name = task_run_name
        self.log_stdout = log_stdout
        self.state_handlers = list(state_handlers or [])
        if on_failure is not None:
            self.state_handlers.append(_on_failure_handler(on_failure))
        self.nout = nout
        # Headwater tasks running this task's copies, by their options; copies share it.
        self._hw_tasks: dict[tuple[Any, ...], Any] = {}

    # -- running ----------------------------------------------------------------------
    def run(self, *args: Any, **kwargs: Any) -> Any:
        """The work; a subclass overrides it with its own named parameters."""
        return None

    @property
    def logger(self) -> Any:
        from headwater.v1.run_context import context

        return context.get("logger")

    # -- graph building ---------------------------------------------------------------
    def copy(self, **task_args: Any) -> Task:
        """A copy (another node of the graph) with some attributes changed."""
        new = copy_module.copy(self)
        new.tags = set(self.tags)
        new.state_handlers = list(self.state_handlers)
        for key, value in task_args.items():
            if not hasattr(new, key):
                raise V1GraphError(f"task {self.name!r}: unknown task_args key {key!r}")
            setattr(new, key, value)
        if "tags" in task_args:
            new.tags = set(task_args["tags"] or ())
        return new

    def __call__(
        self,
        *args: Any,
        mapped: bool = False,
        task_args: dict[str, Any] | None = None,
        upstream_tasks: Any = None,
        flow: Any = None,
        **kwargs: Any,
    ) -> Task:
        new = self.copy(**(task_args or {}))
        return new.bind(*args, mapped=mapped, upstream_tasks=upstream_tasks, flow=flow, **kwargs)

    def bind(
        self,
        *args: Any,
        mapped: bool = False,
        upstream_tasks: Any = None,
        flow: Any = None,
        **kwargs: Any,
    ) -> Task:
        """Add this task to the flow with these arguments (no copy)."""
        flow = current_flow(flow, f"calling task {self.name!r}")
        try:
            bound = inspect.signature(self.run).bind(*args, **kwargs)
        except TypeError as exc:
            raise V1GraphError(f"task {self.name!r}: {exc}") from None
        arguments = dict(bound.arguments)
        for name, param in inspect.signature(self.run).parameters.items():
            if param.kind is inspect.Parameter.VAR_KEYWORD and name in arguments:
                arguments.update(arguments.pop(name))
            elif param.kind is inspect.Parameter.VAR_POSITIONAL and name in arguments:
                raise V1GraphError(
                    f"task {self.name!r}: *{name} arguments are not supported; "
                    "give the task named parameters (or pass a list)"
                )
        flow.set_dependencies(
            self, upstream_tasks=upstream_tasks, keyword_tasks=arguments, mapped=mapped
        )
        return self

    def map(
        self,
        *args: Any,
        upstream_tasks: Any = None,
        flow: Any = None,
        task_args: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Task:
        """One child run per item of the (unwrapped) arguments: ``t.map(items)``."""
        return self(
            *args,
            mapped=True,
            task_args=task_args,
            upstream_tasks=upstream_tasks,
            flow=flow,
            **kwargs,
        )

    def set_upstream(
        self, task: Any, flow: Any = None, key: str | None = None, mapped: bool = False
    ) -> None:
        flow = current_flow(flow, f"{self.name}.set_upstream()")
        if key is None:
            flow.set_dependencies(self, upstream_tasks=[task], mapped=mapped)
        else:
            flow.set_dependencies(self, keyword_tasks={key: task}, mapped=mapped)

    def set_downstream(
        self, task: Any, flow: Any = None, key: str | None = None, mapped: bool = False
    ) -> None:
        flow = current_flow(flow, f"{self.name}.set_downstream()")
        if key is None:
            flow.set_dependencies(task, upstream_tasks=[self], mapped=mapped)
        else:
            flow.set_dependencies(task, keyword_tasks={key: self}, mapped=mapped)

    def set_dependencies(
        self,
        flow: Any = None,
        upstream_tasks: Any = None,
        downstream_tasks: Any = None,
        keyword_tasks: dict[str, Any] | None = None,
        mapped: bool = False,
    ) -> None:
        flow = current_flow(flow, f"{self.name}.set_dependencies()")
        flow.set_dependencies(
            self,
            upstream_tasks=upstream_tasks,
            downstream_tasks=downstream_tasks,
            keyword_tasks=keyword_tasks,
            mapped=mapped,
        )

    def __getitem__(self, key: Any) -> Task:
        return GetItem(name=f"{self.name}[{key!r}]")(self, key)

    def __iter__(self) -> Iterator[Task]:
        if self.nout is None:
            raise V1GraphError(
                f"task {self.name!r} is not iterable: give it nout=N to unpack its result"
            )
        return (self[index] for index in range(self.nout))

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"


class FunctionTask(Task):
    """A task whose ``run`` is a plain function (what ``@task`` makes)."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise V1GraphError(f"@task needs a function, got {fn!r}")
        self.run = fn  # type: ignore[method-assign]
        super().__init__(name=name or getattr(fn, "__name__", type(self).__name__), **kwargs)
        self.__doc__ = getattr(fn, "__doc__", None)


def task(fn: Callable[..., Any] | None = None, **task_init_kwargs: Any) -> Any:
    """``@task`` or ``@task(max_retries=2, retry_delay=timedelta(seconds=5), ...)``."""
    if fn is None:
        return lambda fn: FunctionTask(fn, **task_init_kwargs)
    return FunctionTask(fn, **task_init_kwargs)


def as_task(value: Any, flow: Any) -> Any:
    """Tasks stay tasks; lists/tuples/sets/dicts holding tasks become collection tasks;
    anything else is a constant (returned unchanged: the caller stores it)."""
    if isinstance(value, Task):
        return value
    if isinstance(value, (list, tuple, set)) and any(_holds_task(v) for v in value):
        cls = {list: List, tuple: Tuple, set: Set}[type(value)]
        return cls().bind(**{f"item_{i}": item for i, item in enumerate(value)}, flow=flow)
    if isinstance(value, dict) and any(_holds_task(v) for v in (*value, *value.values())):
        return Dict().bind(keys=list(value), values=list(value.values()), flow=flow)
    return value


def _holds_task(value: Any) -> bool:
    if isinstance(value, (Task, unmapped, flatten)):
        return True
    if isinstance(value, (list, tuple, set)):
        return any(_holds_task(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_task(v) for v in (*value, *value.values()))
    return False


def _on_failure_handler(callback: Callable[..., Any]) -> Callable[..., Any]:
    def handler(task: Any, old_state: Any, new_state: Any) -> Any:
        if new_state.is_failed():
            callback(task, new_state)
        return new_state

    return handler


# -- tasks the graph builder adds by itself (re-exported by headwater.v1.tasks.core) --


def _ordered(items: dict[str, Any]) -> list[Any]:
    return [items[f"item_{index}"] for index in range(len(items))]


class List(Task):
    """``[a, b]`` of task results (bound as ``item_0``, ``item_1``…)."""

    def run(self, **items: Any) -> list[Any]:
        return _ordered(items)


class Tuple(Task):
    """``(a, b)`` of task results."""

    def run(self, **items: Any) -> tuple[Any, ...]:
        return tuple(_ordered(items))


class Set(Task):
    """``{a, b}`` of task results."""

    def run(self, **items: Any) -> set[Any]:
        return set(_ordered(items))


class Dict(Task):
    """``{key: value}`` where keys or values are task results."""

    def run(self, keys: list[Any], values: list[Any]) -> dict[Any, Any]:
        return dict(zip(keys, values, strict=True))


class GetItem(Task):
    """``task[key]``: an item of a task's result."""

    def run(self, task_result: Any, key: Any) -> Any:
        return task_result[key]


class CompareValue(Task):
    """Skips (and so skips the tasks of a ``case`` block) unless its input equals
    ``value``."""

    def __init__(self, value: Any, **kwargs: Any) -> None:
        self.value = value
        kwargs.setdefault("name", f"case({value})")
        super().__init__(**kwargs)

    def run(self, value: Any) -> None:
        if value != self.value:
            raise signals.SKIP(f'Provided value "{value}" did not match "{self.value}"')
