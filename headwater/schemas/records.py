"""The compact records the engine writes in bulk (no validation cost on the hot path).

A ``TaskRunRecord`` carries its whole state history in ``transitions`` so one row per
task run is written, updated in place (upsert by id) as the run progresses.  Its
state changes only through ``transition``; who may change a record, and when, is
written on the class.  Logs are plain dicts (``LogRecord``): they never change.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from operator import attrgetter
from typing import Any, TypedDict
from uuid import UUID

from headwater.states import TERMINAL_TYPES, StateType

#: A task-run record's fields: the columns of ``task_runs`` (``server/db/tables.py``).
TASK_RUN_FIELDS = (
    "id",
    "flow_run_id",
    "task_key",
    "dynamic_key",
    "name",
    "state_type",
    "state_name",
    "state_message",
    "state_timestamp",
    "transitions",
    "tags",
    "inputs",
    "run_count",
    "flow_run_attempt",
    "cache_key",
    "result",
    "start_time",
    "end_time",
    "created",
    "updated",
)

#: A plain history (Pending -> Running -> one more state) is stored as ``[]``; readers
#: rebuild it from ``created``/``start_time``/the state (see ``tables.task_runs``).
#: Shared by every plain record: never append to it.
PLAIN_HISTORY: list[list[Any]] = []

_PENDING = StateType.PENDING.value
_RUNNING = StateType.RUNNING.value
_FINAL = frozenset(kind.value for kind in TERMINAL_TYPES)
_PLAIN_STEPS = frozenset({(_PENDING, "Pending"), (_RUNNING, "Running")})
_fields = attrgetter(*TASK_RUN_FIELDS)
_new = object.__new__


class TaskRunRecord:
    """One task run as the store keeps it (not a pydantic model: the engine makes and
    changes one per task run, so it must cost well under a microsecond to touch).

    **Who may change a record.**  The engine code running the task run (its
    ``TaskRun``, or the code standing in for it: a subflow's task record in its flow
    engine, a remote task call mirroring its far side through ``mirror``) owns the
    record and is the only code that changes it: its state always through
    ``transition``, and the plain facts (inputs, name, tags, result, cache key) only
    while it still holds the object.
    ``BatchingWriter.put_task_run(record)`` hands a record over for good: from then on
    nobody changes that object, because the writer's thread reads it at any time.  So
    the owner hands over ``record.copy()`` when the run will move on (Running,
    AwaitingRetry) and the record itself only at its last transition.  Anyone else
    (futures, crash handling, hooks) only reads a record, or changes a copy of it.
    """

    __slots__ = TASK_RUN_FIELDS

    id: UUID
    flow_run_id: UUID | None
    task_key: str
    dynamic_key: str
    name: str
    state_type: str  # a StateType's value (plain str: the drivers store it as is)
    state_name: str
    state_message: str | None
    state_timestamp: float
    transitions: list[list[Any]]  # [[type, name, timestamp, message], ...]; [] while plain
    tags: list[str]
    inputs: dict[str, list[str]]  # parameter -> upstream task run ids (lineage)
    run_count: int
    flow_run_attempt: int
    cache_key: str | None
    result: dict[str, Any] | None  # the persisted result's ref (headwater.results)
    start_time: float | None
    end_time: float | None
    created: float
    updated: float

    def __init__(
        self,
        *,
        id: UUID,
        flow_run_id: UUID | None,
        task_key: str,
        dynamic_key: str,
        name: str,
        state_type: str,
        state_name: str,
        state_message: str | None,
        state_timestamp: float,
        transitions: list[list[Any]],
        tags: list[str],
        inputs: dict[str, list[str]],
        run_count: int,
        flow_run_attempt: int,
        cache_key: str | None,
        result: dict[str, Any] | None = None,
        start_time: float | None,
        end_time: float | None,
        created: float,
        updated: float,
    ) -> None:
        self.id = id
        self.flow_run_id = flow_run_id
        self.task_key = task_key
        self.dynamic_key = dynamic_key
        self.name = name
        self.state_type = str(state_type)
        self.state_name = state_name
        self.state_message = state_message
        self.state_timestamp = state_timestamp
        self.transitions = transitions
        self.tags = tags
        self.inputs = inputs
        self.run_count = run_count
        self.flow_run_attempt = flow_run_attempt
        self.cache_key = cache_key
        self.result = result
        self.start_time = start_time
        self.end_time = end_time
        self.created = created
        self.updated = updated

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskRunRecord:
        """A record from its JSON form (the REST API's bulk body, tests)."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what ``HttpClient`` sends)."""
        return dict(zip(TASK_RUN_FIELDS, _fields(self), strict=True))

    def copy(self) -> TaskRunRecord:
        """A snapshot to hand over while this record moves on (see the class)."""
        new: TaskRunRecord = _new(TaskRunRecord)
        new.id = self.id
        new.flow_run_id = self.flow_run_id
        new.task_key = self.task_key
        new.dynamic_key = self.dynamic_key
        new.name = self.name
        new.state_type = self.state_type
        new.state_name = self.state_name
        new.state_message = self.state_message
        new.state_timestamp = self.state_timestamp
        new.tags = self.tags
        new.inputs = self.inputs
        new.run_count = self.run_count
        new.flow_run_attempt = self.flow_run_attempt
        new.cache_key = self.cache_key
        new.result = self.result
        new.start_time = self.start_time
        new.end_time = self.end_time
        new.created = self.created
        new.updated = self.updated
        new.transitions = self.transitions[:] if self.transitions else PLAIN_HISTORY
        return new

    def __repr__(self) -> str:
        return f"TaskRunRecord({self.name!r}, {self.state_name})"


def new_task_run_record(
    id: UUID,
    flow_run_id: UUID | None,
    task_key: str,
    dynamic_key: str,
    name: str,
    tags: list[str],
    flow_run_attempt: int,
    now: float,
) -> TaskRunRecord:
    """A task run's record in the state every task run starts in: Pending."""
    record: TaskRunRecord = _new(TaskRunRecord)
    record.id = id
    record.flow_run_id = flow_run_id
    record.task_key = task_key
    record.dynamic_key = dynamic_key
    record.name = name
    record.state_type = _PENDING
    record.state_name = "Pending"
    record.state_message = None
    record.state_timestamp = now
    record.transitions = PLAIN_HISTORY
    record.tags = tags
    record.inputs = {}
    record.run_count = 0
    record.flow_run_attempt = flow_run_attempt
    record.cache_key = None
    record.result = None
    record.start_time = None
    record.end_time = None
    record.created = now
    record.updated = now
    return record


def transition(
    record: TaskRunRecord,
    state_type: StateType,
    name: str,
    message: str | None = None,
    now: float | None = None,
    *,
    keep_history: bool = False,
) -> None:
    """Move ``record`` to a new state: the one way a task run's state changes.

    It sets the state fields and ``updated``; a move to Running counts an attempt
    (``run_count``) and sets ``start_time`` the first time; ``end_time`` is the time a
    final state (Completed, Failed, Cancelled, Crashed) was reached, None otherwise.
    ``transitions`` stay ``[]`` while the history is plain (``plain_history`` rebuilds
    it) until a move passes ``keep_history=True`` (a failed attempt that will be
    retried): then they get the history so far and every move after it.  Only the
    record's owner calls this (see the class).
    """
    if now is None:
        now = time.time()
    value: str = state_type._value_
    transitions = record.transitions
    if transitions or keep_history:
        if not transitions:  # the plain history so far, before this move
            transitions = record.transitions = plain_history(
                record.created,
                record.start_time,
                record.state_type,
                record.state_name,
                record.state_timestamp,
                record.state_message,
            )
        transitions.append([value, name, now, message])
    record.state_type = value
    record.state_name = name
    record.state_message = message
    record.state_timestamp = now
    record.updated = now
    if value == _RUNNING:
        record.run_count += 1
        if record.start_time is None:
            record.start_time = now
        record.end_time = None
    elif value in _FINAL:
        record.end_time = now
    else:
        record.end_time = None


def mirror(record: TaskRunRecord, source: TaskRunRecord) -> None:
    """Make ``record`` the copy of ``source``: the same task run's record as it ended
    in another process (the remote task call, ``headwater.task_runners.remote_call``).

    The other process owned and stored the run; the caller's record, never handed to
    its writer, only mirrors it (for ``future.state``, lineage and hooks that read it).
    """
    for name in TASK_RUN_FIELDS:
        setattr(record, name, getattr(source, name))


def plain_history(
    created: float,
    start_time: float | None,
    state_type: str,
    state_name: str,
    state_timestamp: float,
    state_message: str | None,
) -> list[list[Any]]:
    """The history an empty ``transitions`` stands for: Pending when created, Running
    when started, then the current state (when it is neither of those)."""
    history: list[list[Any]] = [[_PENDING, "Pending", created, None]]
    if start_time is not None:
        history.append([_RUNNING, "Running", start_time, None])
    if (state_type, state_name) not in _PLAIN_STEPS:
        history.append([state_type, state_name, state_timestamp, state_message])
    return history


class LogRecord(TypedDict):
    id: UUID
    flow_run_id: UUID | None
    task_run_id: UUID | None
    name: str
    level: int
    message: str
    timestamp: float


class FlowRunCreate(TypedDict, total=False):
    """What the engine (or an API caller) sends to create a flow run."""

    id: UUID
    flow_name: str
    name: str
    flow_version: str | None
    parameters: dict[str, Any]
    tags: list[str]
    parent_flow_run_id: UUID | None
    parent_task_run_id: UUID | None
    idempotency_key: str | None
    empirical_policy: dict[str, Any]
    expected_start_time: float | None
    entrypoint: str | None
    # Runs of a deployment (set by the store when a deployment's run is created).
    deployment_id: UUID | None
    work_pool_id: UUID | None
    work_queue_id: UUID | None
    schedule_id: UUID | None
    auto_scheduled: bool
