"""Work pools, their queues and the workers polling them (API bodies and reads)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, field_validator

from headwater.schemas.actions import check_json_document
from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.flow_runs import FlowRun
from headwater.schemas.limits import Name

Limit = Annotated[int, Field(ge=0, le=100_000)]
Description = Annotated[str, Field(max_length=10_000)]


class WorkPoolType(str, Enum):
    """The worker types Headwater ships; a pool's ``type`` may also name one that a
    package registers (entry point group ``headwater.workers``)."""

    PROCESS = "process"  # runs start as local subprocesses of the worker
    DOCKER = "docker"  # one container per run
    KUBERNETES = "kubernetes"  # one batch/v1 Job per run


PoolType = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_-]{0,49}$",
        description="The worker type that runs the pool's runs (process, docker, kubernetes…).",
    ),
]


#: JSON schema "type" → the Python types a job variable of that type may hold.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def job_variable_type_error(value: Any, schema: Any) -> str | None:
    """Why ``value`` does not fit the ``type`` of one job variable's JSON schema ("must
    be integer, not str ('x')"), or None.  ``None`` fits any variable (it is unset)."""
    if value is None or not isinstance(schema, dict) or "type" not in schema:
        return None
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    allowed = tuple(t for kind in kinds for t in _JSON_TYPES.get(str(kind), (object,)))
    is_bool = isinstance(value, bool)
    if not isinstance(value, allowed) or (is_bool and bool not in allowed):
        return f"must be {' or '.join(map(str, kinds))}, not {type(value).__name__} ({value!r})"
    return None


def _check_template(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A base job template: ``{"job_configuration": {...}, "variables": {JSON schema}}``."""
    if value is None:
        return None
    unknown = set(value) - {"job_configuration", "variables"}
    if unknown:
        raise ValueError(
            "a base job template has only 'job_configuration' and 'variables', "
            f"not {sorted(unknown)}"
        )
    for key in ("job_configuration", "variables"):
        if key in value and not isinstance(value[key], dict):
            raise ValueError(f"the base job template's {key!r} must be an object")
    properties = value.get("variables", {}).get("properties", {})
    if not isinstance(properties, dict):
        raise ValueError("the base job template's variables.properties must be an object")
    return check_json_document(value, "base_job_template")


class WorkPoolCreate(Schema):
    name: Name
    type: PoolType = WorkPoolType.PROCESS.value
    description: Description | None = None
    concurrency_limit: Limit | None = Field(
        default=None, description="Most runs Pending/Running at once in the pool."
    )
    paused: bool = False
    base_job_template: dict[str, Any] = Field(
        default_factory=dict,
        description="How the pool's runs become infrastructure: 'job_configuration' with "
        "{{ placeholders }} and the 'variables' JSON schema filling them "
        "(empty: the worker type's default).",
    )

    @field_validator("base_job_template")
    @classmethod
    def _template(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_template(value)


class WorkPoolUpdate(Schema):
    description: Description | None = None
    concurrency_limit: Limit | None = Field(default=None, description="0 removes the limit.")
    paused: bool | None = None
    base_job_template: dict[str, Any] | None = None

    @field_validator("base_job_template")
    @classmethod
    def _template(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_template(value)


class WorkPool(Schema):
    id: UUID
    name: str
    type: str
    description: str | None = None
    concurrency_limit: int | None = None
    paused: bool = False
    base_job_template: dict[str, Any] = Field(default_factory=dict)
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
