"""Background task runs: ``Task.delay`` on the submitting side, and what a task
worker needs to run one (see ``headwater/task_worker.py``).

A submission binds the arguments (a bad call fails at ``.delay()``), serializes the
parameters with the task's result serializer and stores them: up to
``INLINE_PARAMETERS_BYTES`` in the task run's row itself (any worker that reaches
the store or the server reads them), larger ones in the task's result storage under
``parameters/<task run id>`` (a worker on another machine then needs a storage both
sides reach, such as ``s3://``).  The run is Scheduled until a task worker serving
its task key claims it.

The handle ``.delay()`` returns reads the run from the store: ``.state``,
``.wait()`` and ``.result()`` (the result a worker persisted, read from the result
storage) work from any process that reaches the same store or server.
"""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

from headwater.states import State
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.client.protocol import Client
    from headwater.engine.task_results import FlowResults, TaskPlan
    from headwater.results.serializers import Serializer
    from headwater.results.storage import ResultStorage
    from headwater.tasks import Task

R = TypeVar("R")

#: Serialized parameters up to this size are kept in the task run's row.
INLINE_PARAMETERS_BYTES = 64 * 1024
#: Runs per submission request (the API takes up to 5,000).
_SUBMIT_CHUNK = 1000
#: ``.wait()`` reads the run's state at most this far apart.
_MAX_POLL = 0.25


def _serializer_and_storage(task: Task[Any, Any]) -> tuple[Serializer, ResultStorage]:
    from headwater.results.serializers import get_serializer
    from headwater.results.storage import get_storage
    from headwater.settings import get_settings

    settings = get_settings()
    options = task.result_options
    serializer = (options.serializer if options else None) or get_serializer(
        settings.results_serializer
    )
    storage = (options.storage if options else None) or get_storage(
        settings.results_storage_or_default
    )
    return serializer, storage


def encode_parameters(
    task: Task[Any, Any], task_run_id: UUID, parameters: dict[str, Any]
) -> dict[str, Any]:
    """The stored form of a run's parameters (see the module doc)."""
    from headwater.results.records import encode_record, write_result

    serializer, storage = _serializer_and_storage(task)
    key = f"parameters/{task_run_id}"
    try:
        data = b"".join(encode_record(parameters, serializer, key, None, time.time()))
    except Exception as exc:
        raise TypeError(
            f"task {task.name!r}: its parameters cannot be serialized with the "
            f"{serializer.name!r} serializer ({type(exc).__name__}: {exc})"
        ) from None
    if len(data) <= INLINE_PARAMETERS_BYTES:
        return {"inline": base64.b64encode(data).decode("ascii"), "serializer": serializer.name}
    return write_result(storage, key, parameters, serializer)


def decode_parameters(ref: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters a submission stored (``MissingResult`` if they are gone)."""
    from headwater.exceptions import MissingResult
    from headwater.results.records import CorruptResult, decode_record, load_ref

    if not ref:
        return {}
    if "inline" in ref:
        try:
            value, _ = decode_record(base64.b64decode(ref["inline"]))
        except (CorruptResult, ValueError) as exc:
            raise MissingResult(f"the run's stored parameters are unreadable: {exc}") from None
    else:
        value = load_ref(ref)
    if not isinstance(value, dict):
        raise MissingResult("the run's stored parameters are not a mapping")
    return value


def submit(
    task: Task[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    scheduled_time: float | None = None,
    client: Client | None = None,
) -> HeadwaterDistributedFuture[Any]:
    """Store a Scheduled run of ``task`` for a task worker; its handle."""
    return submit_many(task, [(args, kwargs)], scheduled_time=scheduled_time, client=client)[0]


def submit_many(
    task: Task[Any, Any],
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]],
    *,
    scheduled_time: float | None = None,
    client: Client | None = None,
) -> list[HeadwaterDistributedFuture[Any]]:
    """Store a Scheduled run of ``task`` per ``(args, kwargs)``, in one write; their
    handles (``Task.map(..., deferred=True)``)."""
    from headwater.client.backend import get_backend
    from headwater.schemas.task_queue import TaskRunSubmit

    runs = []
    for args, kwargs in calls:
        try:
            parameters = task.binder.bind(args, kwargs)
        except TypeError as exc:
            raise TypeError(f"task {task.name!r}: {exc}") from None
        task_run_id = new_id()
        name = f"{task.name}-{task_run_id.hex[:8]}"
        if task.task_run_name is not None:
            name = task.format_run_name(parameters)
        runs.append(
            TaskRunSubmit(
                id=task_run_id,
                task_key=task.task_key,
                dynamic_key=f"delay-{task_run_id.hex[:12]}",
                name=name,
                tags=task.sorted_tags,
                parameters=encode_parameters(task, task_run_id, parameters),
                scheduled_time=scheduled_time,
            )
        )
    if client is None:
        client = get_backend().client
    for start in range(0, len(runs), _SUBMIT_CHUNK):
        client.submit_task_runs(runs[start : start + _SUBMIT_CHUNK])
    return [HeadwaterDistributedFuture(run.id, client=client) for run in runs]


class HeadwaterDistributedFuture(Generic[R]):
    """The handle of a background task run (``Task.delay``): it reads the run from
    the store, so it works in any process that reaches that store or server."""

    __slots__ = ("_client", "_final", "task_run_id")

    def __init__(self, task_run_id: UUID, *, client: Client | None = None) -> None:
        self.task_run_id = task_run_id
        self._client = client
        self._final: State | None = None

    def _read(self) -> State:
        if self._final is not None:
            return self._final
        if self._client is None:
            from headwater.client.backend import get_backend

            self._client = get_backend().client
        state = self._client.read_task_run(self.task_run_id).state
        if state.is_final():
            self._final = state
        return state

    @property
    def state(self) -> State:
        """The run's current state, as the store has it."""
        return self._read()

    def done(self) -> bool:
        return self._read().is_final()

    def wait_state(self, timeout: float | None = None) -> State:
        """The run's state once final, or its current one after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.005
        while True:
            state = self._read()
            if state.is_final():
                return state
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return state
                pause = min(pause, left)
            time.sleep(pause)
            pause = min(pause * 2, _MAX_POLL)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is final (or ``timeout`` seconds pass)."""
        self.wait_state(timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The task's return value, read from the result storage the worker wrote it
        to; raises if the run failed, ``TimeoutError`` if it is not final in time."""
        state = self.wait_state(timeout)
        if not state.is_final():
            raise TimeoutError(
                f"task run {self.task_run_id} did not finish within {timeout} s "
                f"(it is {state.name}; is a task worker serving its task running?)"
            )
        value: R = state.result(raise_on_failure=raise_on_failure)
        return value

    def __repr__(self) -> str:
        return f"HeadwaterDistributedFuture({self.task_run_id})"


# Prefect's name for it.
PrefectDistributedFuture = HeadwaterDistributedFuture


# -- the worker's side ------------------------------------------------------------


class BackgroundResults:
    """A task worker's result settings: the settings' defaults with results always
    persisted (the submitter reads them), unless a task says ``persist_result=False``."""

    def __init__(self) -> None:
        from headwater.engine.task_results import default_results

        self.results: FlowResults = default_results()
        self.results.persist = True
        self._plans: dict[int, tuple[Task[Any, Any], TaskPlan | None]] = {}

    def plan(self, task: Task[Any, Any]) -> TaskPlan | None:
        found = self._plans.get(id(task))
        if found is None or found[0] is not task:
            from headwater.engine.task_results import TaskPlan

            plan: TaskPlan | None = TaskPlan(task, self.results)
            if plan is not None and not plan.persist:
                plan = None
            found = self._plans[id(task)] = (task, plan)
        return found[1]


def run_claimed(
    task: Task[Any, Any],
    *,
    task_run_id: UUID,
    dynamic_key: str,
    name: str,
    tags: list[str],
    parameters: dict[str, Any] | None,
    results: BackgroundResults,
) -> State:
    """Run one claimed background run here with the normal task engine (retries,
    timeouts, caching, hooks, logs); its records go to this process's writer.
    Parameters that cannot be read back fail the run (no attempt is made)."""
    from headwater.client.backend import get_backend
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_engine import execute_async_to_state, execute_sync_to_state
    from headwater.engine.task_run import TaskRun

    run = TaskRun(
        task, None, get_backend().writer, task_run_id=task_run_id, dynamic_key=dynamic_key
    )
    record = run.record
    record.name = name
    record.tags = tags  # before the first hand-off: this side owns the record
    run.plan = results.plan(task)
    resolution = Resolution()
    try:
        resolution.args, resolution.kwargs = task.binder.call_args(decode_parameters(parameters))
    except Exception as exc:
        run.set_running()
        run.failed(exc, final=True)
        return run.state()
    body = execute_async_to_state if task.is_async else execute_sync_to_state
    return body(run, resolution)
