"""The remote task call: one task run sent to another process, machine or cluster.

``RemoteTaskCall`` carries everything the far side needs (the task, its resolved
inputs, the run's identity, the flow run it belongs to, the caller's settings, which
name the store or server to report to) and pickles with cloudpickle.  ``run_remote``
runs it there: it adopts the settings, builds a flow-run context around a client of
that store (the embedded store on the same machine, the server over HTTP otherwise),
runs the normal task engine (retries, timeouts, caching, hooks, logs) and returns a
``RemoteOutcome``: the final state with the result, and the final record.  On the
caller's side ``adopt`` mirrors that record into the caller's copy of the run.

Every runner that runs tasks outside the flow's process (processes, Dask, Ray) goes
through here, so what a far side knows is decided once.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.client.backend import Backend
    from headwater.context import FlowRunContext
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_results import FlowResults
    from headwater.engine.task_run import TaskRun
    from headwater.flows import Flow
    from headwater.schemas.records import TaskRunRecord
    from headwater.states import State
    from headwater.task_runners.record_collector import Collected
    from headwater.tasks import Task

#: Settings a far side never takes from its caller: the profile is already resolved
#: into the other values (and may not exist in the far side's home).
_NOT_SENT = frozenset({"profile"})


def settings_environment() -> dict[str, str | None]:
    """The caller's resolved settings as ``HEADWATER_*`` variables (None: unset)."""
    from headwater.settings import declared_settings, get_settings

    settings = get_settings()
    env: dict[str, str | None] = {}
    for setting in declared_settings():
        if setting.field in _NOT_SENT:
            continue
        value = getattr(settings, setting.field)
        if value is None:
            env[setting.env_name] = None
        elif isinstance(value, bool):
            env[setting.env_name] = "true" if value else "false"
        elif isinstance(value, list):
            env[setting.env_name] = ",".join(value)
        else:
            env[setting.env_name] = str(value)
    return env


class FlowRunIdentity:
    """The flow run a remote task run belongs to (what its far side needs of it)."""

    __slots__ = ("flow", "flow_run_id", "flow_run_name", "log_prints", "results", "run_count")

    def __init__(
        self,
        flow: Flow[Any, Any],
        flow_run_id: UUID,
        flow_run_name: str,
        run_count: int,
        log_prints: bool,
        results: FlowResults | None,
    ) -> None:
        self.flow = flow
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.run_count = run_count
        self.log_prints = log_prints
        self.results = results

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)


class CallContext:
    """What every task run of one flow run sent through one runner shares: the flow
    run's identity and the caller's settings (pickled once, see ``CallPacker``).
    On the far side it also keeps the backend those settings name (not pickled)."""

    __slots__ = ("backend", "flow_run", "settings")

    def __init__(self, flow_run: FlowRunIdentity | None, settings: dict[str, str | None]):
        self.flow_run = flow_run
        self.settings = settings
        self.backend: Backend | None = None

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.flow_run, self.settings)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.flow_run, self.settings = state
        self.backend = None


class RemoteTaskCall:
    """One task run to run elsewhere: picklable (cloudpickle), self-contained.

    The task and the ``CallContext`` travel as bytes pickled once per runner (a flow
    object can take milliseconds to pickle; the far side unpickles each once).  The
    run's records come back with the outcome (``record_collector``).
    """

    __slots__ = (
        "args",
        "context",
        "dynamic_key",
        "kwargs",
        "lineage",
        "tags",
        "task",
        "task_run_id",
    )

    def __init__(
        self,
        *,
        task: bytes,
        context: bytes,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        lineage: dict[str, list[str]],
        task_run_id: UUID,
        dynamic_key: str,
        tags: list[str],
    ) -> None:
        self.task = task
        self.context = context
        self.args = args
        self.kwargs = kwargs
        self.lineage = lineage
        self.task_run_id = task_run_id
        self.dynamic_key = dynamic_key
        self.tags = tags

    def __getstate__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)

    def __repr__(self) -> str:
        return f"RemoteTaskCall(task_run_id={self.task_run_id})"


class CallPacker:
    """Makes the remote calls of one runner (one per flow run): pickles each task and
    each flow run's ``CallContext`` once, and every call to bytes."""

    def __init__(self) -> None:
        self._settings: dict[str, str | None] | None = None
        self._tasks: dict[int, tuple[Task[Any, Any], bytes]] = {}
        self._contexts: dict[int, tuple[Any, bytes]] = {}

    def call(self, run: TaskRun, resolution: Resolution) -> RemoteTaskCall:
        """The call for ``run`` (created by the caller, not yet started)."""
        import cloudpickle

        task = run.task
        packed = self._tasks.get(id(task))
        if packed is None or packed[0] is not task:
            packed = self._tasks[id(task)] = (task, cloudpickle.dumps(task))
        flow_ctx = run.flow_ctx
        context = self._contexts.get(id(flow_ctx))
        if context is None or context[0] is not flow_ctx:
            context = self._contexts[id(flow_ctx)] = (flow_ctx, self._pack_context(flow_ctx))
        record = run.record
        return RemoteTaskCall(
            task=packed[1],
            context=context[1],
            args=resolution.args,
            kwargs=resolution.kwargs,
            lineage=resolution.lineage,
            task_run_id=record.id,
            dynamic_key=record.dynamic_key,
            tags=record.tags,
        )

    def pickled(self, run: TaskRun, resolution: Resolution) -> bytes:
        """``call`` pickled with cloudpickle (what every transport sends)."""
        import cloudpickle

        return cloudpickle.dumps(self.call(run, resolution))

    def _pack_context(self, flow_ctx: FlowRunContext | None) -> bytes:
        import cloudpickle

        if self._settings is None:
            self._settings = settings_environment()
        identity = None
        if flow_ctx is not None:
            identity = FlowRunIdentity(
                flow_ctx.flow,
                flow_ctx.flow_run_id,
                flow_ctx.flow_run_name,
                flow_ctx.run_count,
                flow_ctx.log_prints,
                flow_ctx.results,
            )
        return cloudpickle.dumps(CallContext(identity, self._settings))


class RemoteOutcome:
    """What the far side sends back: the final state (with the result) and record,
    and the records the caller is to write (None: the far side wrote them)."""

    __slots__ = ("record", "records", "state")

    def __init__(
        self, state: State, record: TaskRunRecord | None, records: Collected | None = None
    ) -> None:
        self.state = state
        self.record = record
        self.records = records

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.state, self.record, self.records)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.state, self.record, self.records = state


# -- the far side ---------------------------------------------------------------------

_settings_lock = threading.Lock()
_applied: dict[str, str | None] | None = None
#: Tasks and call contexts unpickled here, by their bytes (each is sent many times).
_unpacked: dict[bytes, Any] = {}
_UNPACKED_MAX = 256


def _unpack(blob: bytes) -> Any:
    value = _unpacked.get(blob)
    if value is None:
        import cloudpickle

        value = cloudpickle.loads(blob)
        if len(_unpacked) >= _UNPACKED_MAX:
            _unpacked.clear()
        _unpacked[blob] = value
    return value


def _adopt_settings(env: dict[str, str | None]) -> None:
    """Make the caller's settings this process's (once per distinct set of settings).

    A worker process serves one store at a time: calls with other settings switch it.
    """
    global _applied
    if _applied is env:
        return
    with _settings_lock:
        if _applied == env:
            _applied = env
            return
        environ = os.environ
        for name, value in env.items():
            if value is None:
                environ.pop(name, None)
            elif environ.get(name) != value:
                environ[name] = value
        _applied = env


_nested: list[Any] = []


def _nested_runner(runner_class: Any) -> Any:
    """A fresh thread runner for tasks a remote task submits (sized once)."""
    if not _nested:
        _nested.append(runner_class())
    return _nested[0].duplicate()


def run_remote(call: RemoteTaskCall) -> RemoteOutcome:
    """Run ``call`` here (a worker process, a Dask or Ray worker) and report it through
    this process's client of the caller's store; the outcome goes back to the caller."""
    from headwater.client.backend import Backend, get_backend
    from headwater.context import FlowRunContext, _flow_run
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_engine import execute_async_to_state, execute_sync_to_state
    from headwater.engine.task_run import TaskRun
    from headwater.logging.configuration import setup_logging
    from headwater.settings import get_settings
    from headwater.task_runners.record_collector import RecordCollector
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    context: CallContext = _unpack(call.context)
    task: Task[Any, Any] = _unpack(call.task)
    backend = context.backend
    if backend is None or _applied is not context.settings:  # once per flow run here
        _adopt_settings(context.settings)
        setup_logging(get_settings())
        backend = context.backend = get_backend()
    collector = RecordCollector(backend.writer)
    flow_ctx = None
    token = None
    identity = context.flow_run
    if identity is not None:
        flow_ctx = FlowRunContext(
            flow=identity.flow,
            flow_run_id=identity.flow_run_id,
            flow_run_name=identity.flow_run_name,
            parameters={},
            run_count=identity.run_count,
            task_runner=_nested_runner(ThreadPoolTaskRunner),  # tasks the task submits
            backend=Backend(backend.key, backend.client, collector),  # type: ignore[arg-type]
            log_prints=identity.log_prints,
            parent=None,
            results=identity.results,
        )
        token = _flow_run.set(flow_ctx)
    run = TaskRun(
        task,
        flow_ctx,
        collector,  # type: ignore[arg-type]
        task_run_id=call.task_run_id,
        dynamic_key=call.dynamic_key,
    )
    run.record.tags = call.tags  # before its first hand-off: this side owns the record
    if task.log_prints or (identity is not None and identity.log_prints):
        from headwater.logging.prints import install_print_capture

        install_print_capture()
    resolution = Resolution()
    resolution.args, resolution.kwargs, resolution.lineage = call.args, call.kwargs, call.lineage
    records = None
    try:
        body = execute_async_to_state if run.task.is_async else execute_sync_to_state
        state = body(run, resolution)
    finally:
        records = collector.take()
        if records is None:  # it ran long: its records went through this side's writer
            backend.writer.flush()
        if token is not None:
            _flow_run.reset(token)
    # The record was handed over at its last transition: send a snapshot.
    return RemoteOutcome(state, run.record.copy(), records)


def flush_here(timeout: float = 30.0) -> bool:
    """Write what this process's writers still hold (a runner draining its workers)."""
    from headwater.client.writer import flush_all

    return flush_all(timeout)


def run_remote_pickled(payload: bytes) -> bytes:
    """``run_remote`` for transports that move bytes: a cloudpickled call in, the
    outcome out (plain pickle when it can: several times faster for the usual state
    and record; cloudpickle for what only it can pickle); a result that cannot be
    pickled comes back as the run's failure."""
    import pickle

    import cloudpickle

    from headwater.states import Failed

    outcome = run_remote(pickle.loads(payload))
    try:
        return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    except Exception:  # a lambda, a class made at run time, ...: cloudpickle's turn
        pass
    try:
        return cloudpickle.dumps(outcome)
    except Exception as exc:
        failed = Failed(message=f"the task's result cannot be pickled: {exc}")
        return cloudpickle.dumps(RemoteOutcome(failed, None))


# -- the caller's side ----------------------------------------------------------------


def adopt(run: TaskRun, outcome: RemoteOutcome) -> State:
    """Hand the far side's records to this side's writer, mirror its final record
    into ``run`` (``run.record`` itself is never handed over: the far side's copy is)
    and remember its result for lineage."""
    from headwater.schemas.records import mirror, transition
    from headwater.task_runners.record_collector import hand_over

    state = outcome.state
    if outcome.records:
        hand_over(outcome.records, run.writer)
    if outcome.record is not None:
        mirror(run.record, outcome.record)
    else:
        transition(run.record, state.type, state.name, state.message)
    if state.is_completed() and state.has_data and run.flow_ctx is not None:
        run.flow_ctx.remember_result(state.data, run.record.id)
    return state


def lost(run: TaskRun, reason: str) -> State:
    """The far side never answered (its process died, the cluster lost it, the call
    could not be sent): the run ends Failed with ``reason``, recorded from this side."""
    run.set_running()
    run.failed(RuntimeError(reason), final=True)
    return run.state()
