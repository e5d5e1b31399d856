"""Work pools, their queues and the workers polling them (API bodies and reads)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.flow_runs import FlowRun
from headwater.schemas.limits import Name

Limit = Annotated[int, Field(ge=0, le=100_000)]
Description = Annotated[str, Field(max_length=10_000)]


class WorkPoolType(str, Enum):
    PROCESS = "process"  # runs start as local subprocesses of the worker


class WorkPoolCreate(Schema):
    name: Name
    type: WorkPoolType = WorkPoolType.PROCESS
    description: Description | None = None
    concurrency_limit: Limit | None = Field(
        default=None, description="Most runs Pending/Running at once in the pool."
    )
    paused: bool = False


class WorkPoolUpdate(Schema):
    description: Description | None = None
    concurrency_limit: Limit | None = Field(default=None, description="0 removes the limit.")
    paused: bool | None = None


class WorkPool(Schema):
    id: UUID
    name: str
    type: WorkPoolType
    description: str | None = None
    concurrency_limit: int | None = None
    paused: bool = False
    status: str = Field(description="PAUSED, READY (a worker is online) or NOT_READY.")
    created: Timestamp
    updated: Timestamp


class WorkQueueCreate(Schema):
    name: Name
    description: Description | None = None
    priority: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=1, description="Lower first: a worker takes runs of priority 1 before 2."
    )
    concurrency_limit: Limit | None = None
    paused: bool = False


class WorkQueueUpdate(Schema):
    description: Description | None = None
    priority: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    concurrency_limit: Limit | None = Field(default=None, description="0 removes the limit.")
    paused: bool | None = None


class WorkQueue(Schema):
    id: UUID
    work_pool_id: UUID
    work_pool_name: str
    name: str
    description: str | None = None
    priority: int
    concurrency_limit: int | None = None
    paused: bool = False
    last_polled: Timestamp | None = None
    created: Timestamp
    updated: Timestamp


class Worker(Schema):
    id: UUID
    work_pool_id: UUID
    work_pool_name: str
    name: str
    hostname: str | None = None
    pid: int | None = None
    heartbeat_seconds: float
    last_heartbeat: Timestamp
    online: bool = Field(description="Seen within its last three heartbeat intervals.")
    created: Timestamp


class WorkerHeartbeat(Schema):
    name: Name
    hostname: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0, le=2**31)] | None = None
    heartbeat_seconds: Annotated[float, Field(gt=0, le=86400)] = 30.0


class ClaimRequest(Schema):
    """Claim due runs (Scheduled → Pending, atomically: each run goes to one claimer).

    With ``wait_seconds`` the request waits (long-poll) until a run is due, a watched
    run is being cancelled, or the time is up."""

    worker_name: Name
    work_queue_names: Annotated[list[Name], Field(max_length=100)] | None = Field(
        default=None, description="Default: every queue of the pool."
    )
    deployment_ids: Annotated[list[UUID], Field(max_length=1000)] | None = Field(
        default=None, description="Serve processes: the deployments they run."
    )
    limit: Annotated[int, Field(ge=0, le=1000)] = 10
    wait_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    watched_ids: Annotated[list[UUID], Field(max_length=10_000)] = Field(
        default_factory=list,
        description="Runs the claimer is running; those being cancelled are returned.",
    )
    hostname: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0, le=2**31)] | None = None
    heartbeat_seconds: Annotated[float, Field(gt=0, le=86400)] = 30.0


class ClaimResult(Schema):
    flow_runs: list[FlowRun] = Field(description="Runs now Pending and owned by the claimer.")
    cancelling: list[UUID] = Field(
        default_factory=list, description="Watched runs that were asked to cancel."
    )
