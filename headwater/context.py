"""Run contexts: what the code running inside a flow run or task run can see.

``FlowRunContext.get()`` / ``TaskRunContext.get()`` return the innermost run of the
current thread or coroutine (context variables, so they follow threads that the
engine starts and asyncio tasks).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.client.backend import Backend
    from headwater.engine.task_results import FlowResults
    from headwater.flows import Flow
    from headwater.futures import HeadwaterFuture
    from headwater.task_runners.base import TaskRunner
    from headwater.tasks import Task

_flow_run: ContextVar[FlowRunContext | None] = ContextVar("headwater_flow_run", default=None)
_task_run: ContextVar[TaskRunContext | None] = ContextVar("headwater_task_run", default=None)
_tags: ContextVar[frozenset[str]] = ContextVar("headwater_tags", default=frozenset())

#: How many task results the lineage map remembers (by object identity).
LINEAGE_MEMORY = 20_000


class FlowRunContext:
    """The flow run in progress: its ids, task runner, store and bookkeeping."""

    __slots__ = (
        "_dynamic_keys",
        "_lineage",
        "backend",
        "flow",
        "flow_run",
        "flow_run_id",
        "flow_run_name",
        "log_prints",
        "parameters",
        "parent",
        "pending_futures",
        "results",
        "run_count",
        "task_runner",
    )

    def __init__(
        self,
        *,
        flow: Flow[Any, Any],
        flow_run_id: UUID,
        flow_run_name: str,
        parameters: dict[str, Any],
        run_count: int,
        task_runner: TaskRunner,
        backend: Backend,
        log_prints: bool,
        parent: FlowRunContext | None,
        results: FlowResults | None = None,
    ) -> None:
        self.flow = flow
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.parameters = parameters
        self.run_count = run_count
        self.task_runner = task_runner
        self.backend = backend
        self.log_prints = log_prints
        self.parent = parent
        # Result settings and the resume map; None when nothing is persisted or cached.
        self.results = results
        #: What ``get_run_context().flow_run`` gives (set by the engine): the run's
        #: id, name, parameters, tags, live state, and its stored fields.
        self.flow_run: Any = None
        self.pending_futures: set[HeadwaterFuture[Any]] = set()
        self._dynamic_keys: dict[str, Iterator[int]] = {}
        self._lineage: dict[int, tuple[UUID, type, int]] = {}

    @staticmethod
    def get() -> FlowRunContext | None:
        return _flow_run.get()

    def next_dynamic_key(self, task_key: str) -> str:
        """0, 1, 2… per task in this flow run (thread-safe: ``count`` is atomic)."""
        counter = self._dynamic_keys.get(task_key)
        if counter is None:
            counter = self._dynamic_keys.setdefault(task_key, itertools.count())
        return str(next(counter))

    # -- lineage: which task run produced a value passed to another task ----------
    def remember_result(self, value: Any, task_run_id: UUID) -> None:
        if value is None or isinstance(value, (bool, int, float)):
            return  # shared singletons and small ints say nothing about lineage
        lineage = self._lineage
        if len(lineage) >= LINEAGE_MEMORY:
            try:
                del lineage[next(iter(lineage))]
            except (StopIteration, KeyError, RuntimeError):
                pass
        lineage[id(value)] = (task_run_id, type(value), _size(value))

    def producer_of(self, value: Any) -> str | None:
        """The task run that returned ``value``, if it is (very probably) that object.

        Identity can be reused after an object dies, so type and size must match too.
        """
        entry = self._lineage.get(id(value))
        if entry is None or entry[1] is not type(value) or entry[2] != _size(value):
            return None
        return str(entry[0])


def _size(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return -1


class TaskRunContext:
    """The task run in progress (inside the task's function)."""

    __slots__ = (
        "_record",
        "flow_run_id",
        "log_prints",
        "parameters",
        "run_count",
        "task",
        "task_run_id",
        "task_run_name",
    )

    def __init__(
        self,
        *,
        task: Task[Any, Any],
        task_run_id: UUID,
        task_run_name: str,
        flow_run_id: UUID | None,
        parameters: dict[str, Any],
        run_count: int,
        log_prints: bool,
        record: Any = None,
    ) -> None:
        self._record = record  # the engine's record of the run: ``task_run`` views it
        self.task = task
        self.task_run_id = task_run_id
        self.task_run_name = task_run_name
        self.flow_run_id = flow_run_id
        self.parameters = parameters
        self.run_count = run_count
        self.log_prints = log_prints

    @staticmethod
    def get() -> TaskRunContext | None:
        return _task_run.get()

    @property
    def task_run(self) -> Any:
        """Prefect's ``context.task_run``: ``id``, ``name``, ``flow_run_id``,
        ``task_key``, ``dynamic_key``, ``run_count``, ``tags``, ``state``."""
        if self._record is not None:
            return TaskRunView(self._record)
        from types import SimpleNamespace

        return SimpleNamespace(
            id=self.task_run_id, name=self.task_run_name, flow_run_id=self.flow_run_id
        )


class TaskRunView:
    """A task run as hooks, ``retry_condition_fn`` and ``get_run_context().task_run``
    see it: a light view of the engine's record (no store read)."""

    __slots__ = (
        "_record",
        "dynamic_key",
        "flow_run_id",
        "id",
        "name",
        "run_count",
        "tags",
        "task_key",
    )

    def __init__(self, record: Any) -> None:
        self._record = record
        self.id = record.id
        self.name = record.name
        self.flow_run_id = record.flow_run_id
        self.task_key = record.task_key
        self.dynamic_key = record.dynamic_key
        self.run_count = record.run_count
        self.tags = record.tags

    @property
    def state(self) -> Any:
        """The run's current state (type, name and message; no result)."""
        from headwater.states import State, StateDetails

        record = self._record
        details = StateDetails(flow_run_id=record.flow_run_id, task_run_id=record.id)
        return State(
            record.state_type, record.state_name, record.state_message, state_details=details
        )

    @property
    def state_type(self) -> Any:
        return self.state.type

    @property
    def state_name(self) -> str:
        return str(self._record.state_name)

    @property
    def start_time(self) -> Any:
        start = self._record.start_time
        if start is None:
            return None
        import datetime as dt

        return dt.datetime.fromtimestamp(start, dt.timezone.utc)

    def __repr__(self) -> str:
        return f"TaskRun(name={self.name!r}, id={self.id})"


def get_run_context() -> FlowRunContext | TaskRunContext:
    """The innermost run context (task run first), or ``MissingContextError``."""
    from headwater.exceptions import MissingContextError

    context = _task_run.get() or _flow_run.get()
    if context is None:
        raise MissingContextError("no flow run or task run is in progress here")
    return context


@contextmanager
def tags(*names: str) -> Iterator[frozenset[str]]:
    """Add tags to every task run (and flow run) started inside the block."""
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"tags must be non-empty strings, got {name!r}")
    current = _tags.get()
    token = _tags.set(current | frozenset(names))
    try:
        yield _tags.get()
    finally:
        _tags.reset(token)


def current_tags() -> frozenset[str]:
    return _tags.get()


#: Prefect's older name for the flow-run context.
EngineContext = FlowRunContext
