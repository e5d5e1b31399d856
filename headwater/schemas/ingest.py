"""The bulk records the batching writer sends, as the API validates them.

They are TypedDicts (validated by pydantic-core straight into plain dicts), the same
compact shapes as ``records.TaskRunRecord`` / ``records.LogRecord``: no model objects
are built, so a batch of a thousand task runs is checked in a few milliseconds and
handed to the bulk insert as is.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints
from typing_extensions import NotRequired, TypedDict

from headwater.schemas.limits import (
    MAX_BULK_RECORDS,
    MAX_IDS,
    MAX_NAME_CHARS,
    MAX_TASK_NAME_CHARS,
    MAX_TRANSITIONS,
    STORABLE,
    Epoch,
    Key,
    Message,
    Tags,
)

StateTypeName = Literal[
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "PAUSED",
    "COMPLETED",
    "FAILED",
    "CANCELLING",
    "CANCELLED",
    "CRASHED",
]
StateName = Annotated[str, StringConstraints(min_length=1, max_length=100), STORABLE]
TaskName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TASK_NAME_CHARS), STORABLE]
Transition = (
    tuple[StateTypeName, StateName, Epoch] | tuple[StateTypeName, StateName, Epoch, Message | None]
)
Count = Annotated[int, Field(ge=0, le=1_000_000)]
#: A run id kept as text: lineage is stored as JSON, so ids checked by pattern are
#: written back without being turned into UUID objects and out again.
UUIDText = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$"
    ),
]
Inputs = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)],
        Annotated[list[UUIDText], Field(max_length=MAX_IDS)],
    ],
    Field(max_length=1000),
]

_FORBID = ConfigDict(extra="forbid")


class ResultRefIn(TypedDict, total=False):
    """Where a task run's persisted result lives (see ``headwater.results.records``)."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]

    storage: Annotated[str, StringConstraints(max_length=2000)] | None
    key: Key
    serializer: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    expiration: Epoch | None
    created: Epoch


class TaskRunRecordIn(TypedDict):
    """One task run with its state history (see ``records.TaskRunRecord``)."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]

    id: UUID
    flow_run_id: UUID | None
    task_key: TaskName
    dynamic_key: Annotated[str, StringConstraints(max_length=100), STORABLE]
    name: TaskName
    state_type: StateTypeName
    state_name: StateName
    state_message: Message | None
    state_timestamp: Epoch
    transitions: Annotated[list[Transition], Field(max_length=MAX_TRANSITIONS)]
    tags: Tags
    inputs: Inputs
    run_count: Count
    flow_run_attempt: Count
    cache_key: Key | None
    result: NotRequired[ResultRefIn | None]
    start_time: Epoch | None
    end_time: Epoch | None
    created: Epoch
    updated: Epoch


class LogRecordIn(TypedDict):
    """One log line of a run (see ``records.LogRecord``)."""

    __pydantic_config__ = _FORBID  # type: ignore[misc]

    id: UUID
    flow_run_id: UUID | None
    task_run_id: UUID | None
    name: Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS), STORABLE]
    level: Annotated[int, Field(ge=0, le=100)]
    message: Message
    timestamp: Epoch


TaskRunRecords = Annotated[list[TaskRunRecordIn], Field(max_length=MAX_BULK_RECORDS)]
LogRecords = Annotated[list[LogRecordIn], Field(max_length=MAX_BULK_RECORDS)]
