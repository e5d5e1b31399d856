"""Background task runs (``Task.delay``) and the task workers that claim them."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from headwater.schemas.base import Schema
from headwater.schemas.limits import (
    MAX_IDS,
    MAX_NAME_CHARS,
    MAX_TASK_NAME_CHARS,
    STORABLE,
    Epoch,
    Name,
    Tags,
)

TaskKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TASK_NAME_CHARS), STORABLE]
DynamicKey = Annotated[str, StringConstraints(min_length=1, max_length=100), STORABLE]
TaskRunName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TASK_NAME_CHARS), STORABLE
]
#: Serialized parameters: ``{"inline": base64, "serializer": name}`` (kept in the row)
#: or a result ref (``{"storage": url, "key": ..., "serializer": ...}``).
ParametersRef = dict[str, Any]


class TaskRunSubmit(Schema):
    """A task run for a task worker to run (Scheduled until one claims it)."""

    id: UUID
    task_key: TaskKey
    dynamic_key: DynamicKey
    name: TaskRunName
    tags: Tags = Field(default_factory=list)
    parameters: ParametersRef
    scheduled_time: Epoch | None = Field(
        default=None, description="Not before this time (default: now)."
    )


class TaskClaimRequest(Schema):
    """Claim submitted runs of these tasks (atomically: each run goes to one worker),
    and renew the claims of the runs the worker is running.  With ``wait_seconds`` the
    request waits (long-poll) until a run is there or the time is up."""

    worker_name: Name
    task_keys: Annotated[list[TaskKey], Field(min_length=1, max_length=MAX_IDS)]
    limit: Annotated[int, Field(ge=0, le=1000)] = 10
    wait_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    watched_ids: Annotated[list[UUID], Field(max_length=10_000)] = Field(
        default_factory=list, description="Runs the worker holds: their claims are renewed."
    )
    lease_seconds: Annotated[float, Field(gt=0, le=86400)] = 90.0
    hostname: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0, le=2**31)] | None = None


class ClaimedTaskRun(Schema):
    id: UUID
    task_key: str
    dynamic_key: str
    name: str
    tags: list[str] = Field(default_factory=list)
    parameters: ParametersRef | None = None
    recovered_from: Annotated[str, Field(max_length=MAX_NAME_CHARS)] | None = Field(
        default=None, description="The worker whose expired claim this run was taken from."
    )


class TaskClaimResult(Schema):
    task_runs: list[ClaimedTaskRun] = Field(default_factory=list)
