"""``Flow``: a Prefect 1 graph of tasks, built in a ``with Flow("name") as flow:`` block.

Running it (``flow.run()``) makes a Headwater flow run whose tasks are Headwater task
runs (``headwater.v1.runner``); registering it makes a Headwater deployment
(``headwater.v1.register``).
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable
from typing import Any

from headwater.v1.building import CURRENT_CASE, CURRENT_FLOW
from headwater.v1.core.edge import Edge, MappedConstant, flatten, unmapped
from headwater.v1.core.task import Task, as_task
from headwater.v1.exceptions import V1GraphError


class Flow:
    """A named graph of tasks with its schedule, run config, storage and executor."""

    def __init__(
        self,
        name: str,
        schedule: Any = None,
        executor: Any = None,
        run_config: Any = None,
        storage: Any = None,
        tasks: Iterable[Task] | None = None,
        edges: Iterable[Edge] | None = None,
        reference_tasks: Iterable[Task] | None = None,
        state_handlers: list[Any] | None = None,
        validate: bool | None = None,
        result: Any = None,
        terminal_state_handler: Any = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise V1GraphError("Flow(name): the name must be a non-empty string")
        self.name = name
        self.schedule = schedule
        self.executor = executor
        self.run_config = run_config
        self.storage = storage
        self.result = result
        self.state_handlers = list(state_handlers or [])
        self.terminal_state_handler = terminal_state_handler
        self.tasks: set[Task] = set()
        self.edges: set[Edge] = set()
        self.constants: dict[Task, dict[str, Any]] = collections.defaultdict(dict)
        self._order: list[Task] = []  # insertion order: stable runs and pictures
        self._reference_tasks: set[Task] = set()
        self._to: dict[Task, set[Edge]] = collections.defaultdict(set)  # edges into a task
        self._from: dict[Task, set[Edge]] = collections.defaultdict(set)  # edges out of it
        self._token: Any = None
        for task in tasks or ():
            self.add_task(task)
        for edge in edges or ():
            self.add_edge(
                edge.upstream_task, edge.downstream_task, key=edge.key, mapped=edge.mapped
            )
        if reference_tasks:
            self.set_reference_tasks(reference_tasks)

    # -- the with block ---------------------------------------------------------------
    def __enter__(self) -> Flow:
        self._token = CURRENT_FLOW.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        CURRENT_FLOW.reset(self._token)
        self._token = None  # a flow must pickle (Dask workers load it)

    # -- building ---------------------------------------------------------------------
    def add_task(self, task: Task) -> Task:
        if not isinstance(task, Task):
            raise V1GraphError(f"flow {self.name!r}: add_task needs a Task, got {task!r}")
        if task not in self.tasks:
            from headwater.v1.core.parameter import Parameter

            if isinstance(task, Parameter):
                for other in self.tasks:
                    if isinstance(other, Parameter) and other.name == task.name:
                        raise V1GraphError(
                            f"flow {self.name!r} already has a parameter named {task.name!r}"
                        )
            self.tasks.add(task)
            self._order.append(task)
            block = CURRENT_CASE.get()
            if block is not None and CURRENT_FLOW.get() is self:
                block.add_task(task)
        return task

    def add_edge(
        self,
        upstream_task: Any,
        downstream_task: Any,
        key: str | None = None,
        mapped: bool = False,
        flattened: bool = False,
        validate: bool | None = None,
    ) -> Edge:
        if isinstance(upstream_task, (unmapped, flatten)) or isinstance(
            downstream_task, (unmapped, flatten)
        ):
            raise V1GraphError("add_edge takes tasks, not unmapped()/flatten() markers")
        if key is not None:
            for edge in self._to.get(downstream_task, ()):
                if edge.key == key:
                    raise V1GraphError(
                        f"task {downstream_task.name!r} already has an argument {key!r}"
                    )
        edge = Edge(upstream_task, downstream_task, key, mapped, flattened)
        self.add_task(upstream_task)
        self.add_task(downstream_task)
        if (validate or validate is None) and self._reaches(downstream_task, upstream_task):
            raise V1GraphError(f"flow {self.name!r}: cycle found; flows must be acyclic")
        self.edges.add(edge)
        self._to[downstream_task].add(edge)
        self._from[upstream_task].add(edge)
        return edge

    def set_dependencies(
        self,
        task: Task,
        upstream_tasks: Any = None,
        downstream_tasks: Any = None,
        keyword_tasks: dict[str, Any] | None = None,
        mapped: bool = False,
        validate: bool | None = None,
    ) -> None:
        """Add ``task`` with edges from ``upstream_tasks``, to ``downstream_tasks`` and,
        per argument of ``keyword_tasks``, from a task (an edge) or a constant."""
        self.add_task(task)
        for upstream in _as_list(upstream_tasks):
            upstream_task, is_mapped, flat = _unwrap(upstream, mapped)
            upstream_task = as_task(upstream_task, self)
            if not isinstance(upstream_task, Task):
                raise V1GraphError(f"upstream_tasks of {task.name!r} must be tasks")
            self.add_edge(upstream_task, task, mapped=is_mapped, flattened=flat, validate=validate)
        for downstream in _as_list(downstream_tasks):
            downstream = as_task(downstream, self)
            if not isinstance(downstream, Task):
                raise V1GraphError(f"downstream_tasks of {task.name!r} must be tasks")
            self.add_edge(task, downstream, mapped=mapped, validate=validate)
        for key, value in (keyword_tasks or {}).items():
            argument, is_mapped, flat = _unwrap(value, mapped)
            argument = as_task(argument, self)
            if isinstance(argument, Task):
                self.add_edge(
                    argument, task, key=key, mapped=is_mapped, flattened=flat, validate=validate
                )
            elif is_mapped:
                # a constant mapped over: Headwater keeps it as a mapped constant
                self.constants[task][key] = MappedConstant(argument)
            else:
                self.constants[task][key] = argument

    def chain(self, *tasks: Task, validate: bool | None = None) -> None:
        """``a -> b -> c``: each task runs after the one before it."""
        for upstream, downstream in itertools.pairwise(tasks):
            self.add_edge(upstream, downstream, validate=validate)

    def update(self, flow: Flow, validate: bool | None = None) -> None:
        """Add another flow's tasks, edges and constants to this one."""
        for task in flow._order:
            self.add_task(task)
        for edge in flow.edges:
            self.add_edge(
                edge.upstream_task,
                edge.downstream_task,
                key=edge.key,
                mapped=edge.mapped,
                flattened=edge.flattened,
                validate=validate,
            )
        for task, values in flow.constants.items():
            self.constants[task].update(values)

    # -- reading the graph ------------------------------------------------------------
    def edges_to(self, task: Task) -> set[Edge]:
        return set(self._to.get(task, ()))

    def edges_from(self, task: Task) -> set[Edge]:
        return set(self._from.get(task, ()))

    def _reaches(self, start: Task, target: Task) -> bool:
        """Is ``target`` ``start`` or downstream of it (would an edge target -> start
        close a cycle)?"""
        seen = {start}
        stack = [start]
        while stack:
            task = stack.pop()
            if task is target:
                return True
            for edge in self._from.get(task, ()):
                if edge.downstream_task not in seen:
                    seen.add(edge.downstream_task)
                    stack.append(edge.downstream_task)
        return False

    def upstream_tasks(self, task: Task) -> set[Task]:
        return {edge.upstream_task for edge in self.edges_to(task)}

    def downstream_tasks(self, task: Task) -> set[Task]:
        return {edge.downstream_task for edge in self.edges_from(task)}

    def root_tasks(self) -> set[Task]:
        return {task for task in self.tasks if not self._to.get(task)}

    def terminal_tasks(self) -> set[Task]:
        return {task for task in self.tasks if not self._from.get(task)}

    def reference_tasks(self) -> set[Task]:
        """The tasks whose states decide the flow run's (the terminal tasks unless set)."""
        return set(self._reference_tasks) or self.terminal_tasks()

    def set_reference_tasks(self, tasks: Iterable[Task]) -> None:
        tasks = set(tasks)
        missing = [task.name for task in tasks if task not in self.tasks]
        if missing:
            raise V1GraphError(
                f"reference tasks must be in flow {self.name!r}: {', '.join(missing)}"
            )
        self._reference_tasks = tasks

    def parameters(self) -> set[Any]:
        from headwater.v1.core.parameter import Parameter

        return {task for task in self.tasks if isinstance(task, Parameter)}

    def get_tasks(
        self, name: str | None = None, slug: str | None = None, tags: Any = None
    ) -> list[Task]:
        found = []
        for task in self._order:
            if name is not None and task.name != name:
                continue
            if slug is not None and task.slug != slug:
                continue
            if tags is not None and not set(tags) <= task.tags:
                continue
            found.append(task)
        return found

    def sorted_tasks(self) -> list[Task]:
        """Every task after its upstream tasks (ties keep the order they were added)."""
        return _topological(self)

    def _check_acyclic(self) -> None:
        _topological(self)

    def validate(self) -> None:
        """Raise ``V1GraphError`` (a ``ValueError``) on a cycle, an edge to a task not
        in the flow, or reference tasks not in the flow."""
        for edge in self.edges:
            if edge.upstream_task not in self.tasks or edge.downstream_task not in self.tasks:
                raise V1GraphError(f"flow {self.name!r}: {edge!r} links a task not in the flow")
        if not self._reference_tasks <= self.tasks:
            raise V1GraphError(f"flow {self.name!r}: some reference tasks are not in the flow")
        self._check_acyclic()

    def copy(self) -> Flow:
        new = Flow(
            self.name,
            schedule=self.schedule,
            executor=self.executor,
            run_config=self.run_config,
            storage=self.storage,
            state_handlers=self.state_handlers,
            result=self.result,
        )
        new.update(self)
        new._reference_tasks = set(self._reference_tasks)
        return new

    # -- running, drawing, deploying --------------------------------------------------
    def run(
        self,
        parameters: dict[str, Any] | None = None,
        run_on_schedule: bool | None = None,
        executor: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Run the flow once now as a Headwater flow run; the v1 flow ``State``, whose
        ``.result[task]`` is each task's state."""
        from headwater.v1.runner import run_flow

        if run_on_schedule:
            from headwater.v1.exceptions import V1NotSupported

            raise V1NotSupported(
                "flow.run(run_on_schedule=True) is not supported: register the flow "
                "(`headwater v1 register`) and let a worker run it on its schedule"
            )
        return run_flow(self, dict(parameters or {}), executor or self.executor, kwargs)

    def visualize(
        self, flow_state: Any = None, filename: str | None = None, format: str | None = None
    ) -> str:
        """Draw the graph: an SVG/PNG file through graphviz when it is installed,
        else Mermaid text (returned, and written to ``filename`` when given)."""
        from headwater.v1.visualize import visualize

        return visualize(self, flow_state=flow_state, filename=filename, format=format)

    def register(
        self,
        project_name: str | None = None,
        labels: Iterable[str] | None = None,
        **options: Any,
    ) -> Any:
        """A Headwater deployment of this flow (``headwater.v1.register``); its id."""
        from headwater.v1.register import register_flow

        return register_flow(self, project_name=project_name, labels=labels, **options)

    def as_headwater_flow(self) -> Any:
        """The Headwater ``@flow`` that runs this graph (what workers load)."""
        from headwater.v1.runner import headwater_flow

        return headwater_flow(self)

    __headwater_flow__ = as_headwater_flow

    def __repr__(self) -> str:
        return f"<Flow: name={self.name!r}>"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (Task, unmapped, flatten)):
        return [value]
    return list(value)


def _unwrap(value: Any, mapped: bool) -> tuple[Any, bool, bool]:
    """(value, is this argument mapped, is it flattened)."""
    if isinstance(value, unmapped):
        return value.task, False, False
    if isinstance(value, flatten):
        return value.task, mapped, True
    return value, mapped, False


def _topological(flow: Flow) -> list[Task]:
    position = {task: index for index, task in enumerate(flow._order)}
    waiting = {task: 0 for task in flow._order}
    below: dict[Task, list[Task]] = collections.defaultdict(list)
    for edge in flow.edges:
        waiting[edge.downstream_task] += 1
        below[edge.upstream_task].append(edge.downstream_task)
    import heapq

    ready = [(position[task], task) for task, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[Task] = []
    while ready:
        _, task = heapq.heappop(ready)
        order.append(task)
        for child in below[task]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (position[child], child))
    if len(order) != len(flow._order):
        raise V1GraphError(f"flow {flow.name!r}: cycle found; flows must be acyclic")
    return order
