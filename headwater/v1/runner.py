"""``flow.run()``: a v1 graph executed as one Headwater flow run.

The Headwater flow's function walks the graph in order; each v1 task (each mapped
child) is one Headwater task run of a Headwater ``Task`` made for it
(``headwater.v1.calls``), so retries, timeouts, logs and records are Headwater's.
Triggers, skips and mapping are decided here, between task runs.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect
from typing import Any

from headwater.v1.calls import Call, from_headwater_state, handle, headwater_task
from headwater.v1.core.edge import MappedConstant
from headwater.v1.core.parameter import Parameter
from headwater.v1.engine import signals
from headwater.v1.engine import state as v1
from headwater.v1.exceptions import V1GraphError
from headwater.v1.run_context import context

_SINK: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "headwater_v1_sink", default=None
)
SKIP_MESSAGE = (
    "Upstream task was skipped; if this was not the intended behavior, "
    "consider changing `skip_on_upstream_skip=False` for this task."
)


def check_parameters(flow: Any, parameters: dict[str, Any]) -> None:
    known = {p.name: p for p in flow.parameters()}
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise V1GraphError(f"flow {flow.name!r} got unexpected parameters: {', '.join(unknown)}")
    missing = sorted(n for n, p in known.items() if p.required and n not in parameters)
    if missing:
        raise V1GraphError(
            f"flow {flow.name!r} did not receive required parameters: {', '.join(missing)}"
        )


def run_flow(flow: Any, parameters: dict[str, Any], executor: Any, options: dict[str, Any]) -> Any:
    """Run ``flow`` once as a Headwater flow run; its v1 state."""
    flow.validate()
    check_parameters(flow, parameters)
    hw_flow = headwater_flow(flow, executor)
    sink: list[Any] = []
    token = _SINK.set(sink)
    try:
        hw_state = hw_flow(**parameters, return_state=True)
    finally:
        _SINK.reset(token)
    if sink:
        return sink[-1]
    return v1.Failed(hw_state.message or "Flow run failed.", result={})


def headwater_flow(flow: Any, executor: Any = None) -> Any:
    """A Headwater ``Flow`` named like ``flow`` whose parameters are its Parameters."""
    from headwater.flows import Flow as HwFlow
    from headwater.v1.executors import task_runner_for

    executor = executor if executor is not None else flow.executor

    def body(**parameters: Any) -> Any:
        return FlowExecution(flow, parameters, executor).run()

    params = sorted(flow.parameters(), key=lambda p: p.name)
    if all(p.name.isidentifier() for p in params):
        body.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    p.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=inspect.Parameter.empty if p.required else p.default,
                )
                for p in params
            ]
        )
    body.__name__ = flow.name
    body.__qualname__ = f"v1.{flow.name}"
    return HwFlow(
        body,
        name=flow.name,
        validate_parameters=False,
        task_runner=task_runner_for(executor),
        description=f"Prefect 1 flow {flow.name!r} (headwater.v1)",
    )


class FlowExecution:
    """One run of a v1 graph inside its Headwater flow run."""

    def __init__(self, flow: Any, parameters: dict[str, Any], executor: Any) -> None:
        from headwater.v1.executors import is_concurrent

        self.flow = flow
        self.parameters = parameters
        self.concurrent = is_concurrent(executor)
        self.states: dict[Any, Any] = {}

    def run(self) -> Any:
        from headwater.context import FlowRunContext
        from headwater.states import Completed, Failed

        flow = self.flow
        flow_ctx = FlowRunContext.get()
        values = {
            "flow_name": flow.name,
            "parameters": dict(self.parameters),
            "scheduled_start_time": _scheduled_start_time(),
            "flow_run_id": str(flow_ctx.flow_run_id) if flow_ctx else None,
            "flow_run_name": flow_ctx.flow_run_name if flow_ctx else None,
            "running_with_backend": False,
        }
        with context(values):
            if flow.state_handlers:
                handle(flow, v1.Pending(), v1.Running("Running flow."))
            if self.concurrent:
                self._run_waves()
            else:
                for task in flow.sorted_tasks():
                    self._run_wave([task])
            state = self._final_state()
            if flow.state_handlers:
                state = handle(flow, v1.Running(), state)
        sink = _SINK.get()
        if sink is not None:
            sink.append(state)
        if state.is_successful():
            return Completed(None, state.message)
        if state.is_failed():
            return Failed(None, state.message)
        return Failed(None, f"{state.message} (Headwater cannot resume paused v1 tasks)")

    # -- waves: tasks whose upstream tasks are all done -------------------------------
    def _run_waves(self) -> None:
        depth: dict[Any, int] = {}
        for task in self.flow.sorted_tasks():
            ups = self.flow.upstream_tasks(task)
            depth[task] = 1 + max((depth[u] for u in ups), default=-1)
        waves: dict[int, list[Any]] = {}
        for task, level in depth.items():
            waves.setdefault(level, []).append(task)
        for level in sorted(waves):
            self._run_wave(waves[level])

    def _run_wave(self, tasks: list[Any]) -> None:
        planned: list[tuple[Any, list[Call], bool]] = []
        for task in tasks:
            decided = self._plan(task)
            if isinstance(decided, v1.State):
                self.states[task] = decided
            else:
                calls, mapped = decided
                planned.append((task, calls, mapped))
        runnable = [call for _, calls, _ in planned for call in calls]
        if self.concurrent and len(runnable) > 1:
            futures = [headwater_task(call.task).submit(call) for call in runnable]
            hw_states = [future.wait_state() for future in futures]
        else:
            hw_states = [headwater_task(call.task)(call, return_state=True) for call in runnable]
        for call, hw_state in zip(runnable, hw_states, strict=True):
            call.state = from_headwater_state(hw_state, call)
        for task, calls, mapped in planned:
            if mapped:
                self.states[task] = v1.Mapped(
                    "Mapped tasks finished.", map_states=[call.state for call in calls]
                )
            else:
                self.states[task] = calls[0].state

    # -- deciding what a task does ----------------------------------------------------
    def _plan(self, task: Any) -> Any:
        """A v1 state decided without a task run, or (calls, is it mapped)."""
        if isinstance(task, Parameter):
            with context(parameters=self.parameters):
                return v1.Success("Parameter value.", result=task.run())
        flow = self.flow
        edges = flow.edges_to(task)
        upstream = {edge: self.states[edge.upstream_task] for edge in edges}
        if any(not s.is_finished() for s in upstream.values()):
            return v1.Pending("Not all upstream states are finished.")
        constants = flow.constants.get(task, {})
        mapped_edges = [edge for edge in edges if edge.mapped]
        mapped_constants = {k: v for k, v in constants.items() if _is_mapped_constant(v)}
        if not mapped_edges and not mapped_constants:
            preset = self._decide(task, upstream)
            if preset is not None and preset.is_paused():
                return preset
            inputs = {} if preset is not None else self._inputs(task, edges, constants, None, {})
            return [Call(task, inputs, preset, None)], False
        return self._plan_mapped(task, edges, upstream, constants, mapped_edges, mapped_constants)

    def _plan_mapped(
        self,
        task: Any,
        edges: set[Any],
        upstream: dict[Any, Any],
        constants: dict[str, Any],
        mapped_edges: list[Any],
        mapped_constants: dict[str, Any],
    ) -> Any:
        if task.skip_on_upstream_skip and any(s.is_skipped() for s in upstream.values()):
            return v1.Skipped(SKIP_MESSAGE)
        not_mappable = [e for e in mapped_edges if not upstream[e].is_successful()]
        if not_mappable:
            preset = self._decide(task, upstream)
            if preset is not None:
                return preset
            names = ", ".join(e.upstream_task.name for e in not_mappable)
            return v1.TriggerFailed(f"Cannot map over the result of failed task(s): {names}")
        items: dict[Any, list[Any]] = {}
        for edge in mapped_edges:
            items[edge] = _items(upstream[edge].result, edge.flattened, edge.upstream_task.name)
        for key, value in mapped_constants.items():
            items[key] = _items(value.value, False, key)
        count = min(len(values) for values in items.values())
        calls = []
        for index in range(count):
            child_upstream = {}
            for edge, state in upstream.items():
                if edge.mapped and state.is_mapped() and not edge.flattened:
                    child_upstream[edge] = state.map_states[index]
                else:
                    child_upstream[edge] = state
            preset = self._decide(task, child_upstream)
            if preset is not None and preset.is_paused():
                preset = v1.Failed("A mapped child cannot pause on Headwater.")
            inputs = {}
            if preset is None:
                picked = {key: values[index] for key, values in items.items()}
                inputs = self._inputs(task, edges, constants, index, picked)
            calls.append(Call(task, inputs, preset, index))
        if not calls:
            return v1.Mapped("No children to map over.", map_states=[])
        return calls, True

    def _decide(self, task: Any, upstream: dict[Any, Any]) -> Any:
        """None to run; else the state the task ends in without running."""
        if task.skip_on_upstream_skip and any(s.is_skipped() for s in upstream.values()):
            return v1.Skipped(SKIP_MESSAGE)
        try:
            if not task.trigger(_expand(upstream)):
                return v1.TriggerFailed("Trigger was False")
        except signals.Signal as sig:
            return sig.state
        except Exception as exc:
            return v1.TriggerFailed(f"Trigger raised an error: {exc!r}", result=exc)
        return None

    def _inputs(
        self,
        task: Any,
        edges: set[Any],
        constants: dict[str, Any],
        index: int | None,
        picked: dict[Any, Any],
    ) -> dict[str, Any]:
        inputs = {k: v for k, v in constants.items() if not _is_mapped_constant(v)}
        for key, value in picked.items():
            if isinstance(key, str):
                inputs[key] = value
        for edge in edges:
            if edge.key is None:
                continue
            if edge in picked:
                inputs[edge.key] = picked[edge]
                continue
            result = self.states[edge.upstream_task].result
            if edge.flattened:
                result = _items(result, True, edge.upstream_task.name)
            inputs[edge.key] = result
        return inputs

    def _final_state(self) -> Any:
        key_states: list[Any] = []
        for task in self.flow.reference_tasks():
            state = self.states[task]
            key_states.extend(state.map_states if state.is_mapped() else [state])
        result = dict(self.states)
        if any(not s.is_finished() for s in key_states):
            return v1.Running("Not all reference tasks finished.", result=result)
        if any(s.is_failed() for s in key_states):
            return v1.Failed("Some reference tasks failed.", result=result)
        return v1.Success("All reference tasks succeeded.", result=result)


def _scheduled_start_time() -> dt.datetime:
    """When the flow run was due (a deployment's schedule), else now."""
    from headwater.runtime.flow_run import get_scheduled_start_time

    try:
        when = get_scheduled_start_time()
    except Exception:  # the run could not be read: the run's own clock is good enough
        return dt.datetime.now(dt.timezone.utc)
    if not isinstance(when, dt.datetime):
        return dt.datetime.now(dt.timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _expand(upstream: dict[Any, Any]) -> dict[Any, Any]:
    """Upstream states for a trigger: a mapped task seen through an unmapped edge counts
    as its children."""
    if not any(s.is_mapped() for s in upstream.values()):
        return upstream
    expanded: dict[Any, Any] = {}
    for edge, state in upstream.items():
        if state.is_mapped() and not edge.mapped:
            for index, child in enumerate(state.map_states):
                expanded[(edge, index)] = child
        else:
            expanded[edge] = state
    return expanded


def _is_mapped_constant(value: Any) -> bool:
    return isinstance(value, MappedConstant)


def _items(value: Any, flattened: bool, name: str) -> list[Any]:
    try:
        items = list(value)
    except TypeError:
        raise V1GraphError(
            f"cannot map over {name!r}: its result {value!r} is not a list"
        ) from None
    if flattened:
        flat: list[Any] = []
        for item in items:
            flat.extend(item)
        return flat
    return items
