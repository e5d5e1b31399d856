"""Deployments, their schedules and the runs made from them (API bodies and reads).

A deployment is addressed as ``flow-name/deployment-name``; deployment names may not
contain ``/`` so that spelling is never ambiguous.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from headwater.exceptions import DeploymentNotFound
from headwater.schemas.actions import EmpiricalPolicy, check_json_document
from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import MAX_IDS, MAX_NAME_CHARS, Key, Name, Offset, PageSize, Tags
from headwater.schemas.slas import SlaCreate


def split_full_name(full_name: str) -> tuple[str, str]:
    """``flow-name/deployment-name`` → its two parts; ``DeploymentNotFound`` otherwise."""
    flow_name, sep, name = full_name.rpartition("/")
    if not sep or not flow_name or not name:
        raise DeploymentNotFound(
            f"{full_name!r} is not a deployment name; use 'flow-name/deployment-name'"
        )
    return flow_name, name


def _no_slash(value: str) -> str:
    if "/" in value:
        raise ValueError("a deployment name cannot contain '/' (it separates flow/deployment)")
    return value


DeploymentName = Annotated[Name, AfterValidator(_no_slash)]
Entrypoint = Annotated[
    str, Field(min_length=3, max_length=1000, pattern=r"^[^\x00-\x1f]+:[A-Za-z_][\w.]*$")
]


class CollisionStrategy(str, Enum):
    """What happens to a run that would exceed the deployment's concurrency limit."""

    ENQUEUE = "enqueue"  # it waits, Scheduled, until a slot frees up
    CANCEL_NEW = "cancel_new"  # it is cancelled


class MissedRuns(str, Enum):
    """What the scheduler does with runs missed while it was down."""

    RUN_ALL = "run_all"
    RUN_LATEST = "run_latest"
    SKIP = "skip"


class ScheduleCreate(Schema):
    """One schedule: exactly one of ``cron``, ``interval`` (seconds) or ``rrule``."""

    cron: Annotated[str, Field(max_length=200)] | None = None
    interval: Annotated[float, Field(gt=0, le=10 * 366 * 86400)] | None = None
    rrule: Annotated[str, Field(max_length=2000)] | None = None
    timezone: Annotated[str, Field(max_length=100)] = "UTC"
    anchor_date: Timestamp | None = Field(
        default=None, description="Interval schedules: a time the runs are aligned on."
    )
    day_or: bool = Field(default=True, description="Cron: day-of-month OR day-of-week.")
    active: bool = True
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Parameters of this schedule's runs (over defaults)."
    )

    @field_validator("parameters")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_document(value, "schedule parameters")

    def to_schedule(self) -> Any:
        """The ``headwater.schedules`` object; ``InvalidOptionError`` in one line."""
        from headwater.core.schedules import schedule_from_dict
        from headwater.exceptions import InvalidOptionError

        given = [k for k in ("cron", "interval", "rrule") if getattr(self, k) is not None]
        if len(given) != 1:
            raise InvalidOptionError(
                "a schedule needs exactly one of cron, interval or rrule"
                + (f" (got {', '.join(given)})" if given else "")
            )
        data: dict[str, Any] = {
            "type": given[0],
            given[0]: getattr(self, given[0]),
            "timezone": self.timezone,
            "active": self.active,
            "parameters": self.parameters,
            "day_or": self.day_or,
        }
        if self.anchor_date is not None:
            data["anchor_date"] = self.anchor_date
        return schedule_from_dict(data)


class DeploymentSchedule(Schema):
    id: UUID
    deployment_id: UUID
    schedule: dict[str, Any] = Field(description="The timing: type, cron/interval/rrule, ...")
    description: str = Field(description="The timing in words, e.g. 'cron 0 6 * * *'.")
    active: bool
    parameters: dict[str, Any] = Field(default_factory=dict)
    created: Timestamp
    updated: Timestamp


class ScheduleUpdate(Schema):
    """Switch a schedule on or off, or change its parameters.  Either change removes
    the schedule's runs that have not started yet (the scheduler makes new ones)."""

    active: bool | None = None
    parameters: dict[str, Any] | None = None


class DeploymentCreate(Schema):
    """Create a deployment, or update the one with the same flow and name (idempotent:
    re-applying the same definition changes nothing and keeps its scheduled runs)."""

    flow_name: Name
    name: DeploymentName
    entrypoint: Entrypoint = Field(
        description="``path/to/file.py:function`` or ``module:function``"
    )
    description: Annotated[str, Field(max_length=10_000)] | None = None
    version: Annotated[str, Field(max_length=MAX_NAME_CHARS)] | None = None
    tags: Tags = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Default parameters.")
    parameter_schema: dict[str, Any] = Field(
        default_factory=dict, description="JSON schema of the flow's parameters."
    )
    source: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None, description="Where the code comes from (a directory or a git URL)."
    )
    pull_steps: Annotated[list[dict[str, Any]], Field(max_length=50)] = Field(
        default_factory=list,
        description="Steps run before loading the entrypoint, e.g. "
        '[{"git_clone": {"repository": "...", "branch": "main"}}].',
    )
    work_pool_name: Name | None = Field(
        default=None, description="None: the deployment is run by a `serve` process."
    )
    work_queue_name: Name | None = Field(
        default=None, description="Default: the pool's 'default' queue."
    )
    job_variables: dict[str, Any] = Field(default_factory=dict)
    empirical_policy: EmpiricalPolicy = Field(
        default_factory=EmpiricalPolicy, description="The flow's retries, for its runs."
    )
    paused: bool = False
    concurrency_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    collision_strategy: CollisionStrategy = CollisionStrategy.ENQUEUE
    missed_runs: MissedRuns = MissedRuns.RUN_LATEST
    lateness_limit_seconds: Annotated[float, Field(gt=0, le=10 * 366 * 86400)] | None = None
    schedules: Annotated[list[ScheduleCreate], Field(max_length=100)] = Field(default_factory=list)
    sla: Annotated[list[SlaCreate], Field(max_length=100)] | None = Field(
        default=None, description="The deployment's SLAs (all of them); None: leave them."
    )

    @field_validator("parameters", "job_variables", "parameter_schema")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_document(value, "deployment fields")

    @field_validator("pull_steps")
    @classmethod
    def _steps(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from headwater.core.pull_steps import check_pull_steps

        return check_pull_steps(check_json_document(value, "pull_steps"))


class DeploymentUpdate(Schema):
    """Change some fields of a deployment; unset fields stay as they are."""

    description: Annotated[str, Field(max_length=10_000)] | None = None
    paused: bool | None = None
    tags: Tags | None = None
    parameters: dict[str, Any] | None = None
    concurrency_limit: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        default=None, description="0 removes the limit."
    )
    collision_strategy: CollisionStrategy | None = None
    missed_runs: MissedRuns | None = None
    lateness_limit_seconds: Annotated[float, Field(ge=0, le=10 * 366 * 86400)] | None = Field(
        default=None, description="0 removes the limit."
    )


class NextRun(Schema):
    id: UUID
    name: str
    expected_start_time: Timestamp | None = None
    state_name: str


class Deployment(Schema):
    id: UUID
    flow_id: UUID
    flow_name: str
    name: str
    full_name: str = Field(description="``flow-name/deployment-name``")
    entrypoint: str
    description: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_schema: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    pull_steps: list[dict[str, Any]] = Field(default_factory=list)
    work_pool_id: UUID | None = None
    work_pool_name: str | None = None
    work_queue_id: UUID | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    paused: bool = False
    concurrency_limit: int | None = None
    collision_strategy: CollisionStrategy = CollisionStrategy.ENQUEUE
    missed_runs: MissedRuns = MissedRuns.RUN_LATEST
    lateness_limit_seconds: float | None = None
    last_polled: Timestamp | None = Field(
        default=None, description="When its serve process (if any) last asked for runs."
    )
    schedules: list[DeploymentSchedule] = Field(default_factory=list)
    next_runs: list[NextRun] = Field(
        default_factory=list, description="Up to five upcoming Scheduled runs, soonest first."
    )
    created: Timestamp
    updated: Timestamp


class DeploymentFilter(Schema):
    ids: Annotated[list[UUID], Field(max_length=MAX_IDS)] | None = None
    full_names: Annotated[list[Key], Field(max_length=MAX_IDS)] | None = Field(
        default=None, description="``flow-name/deployment-name`` each."
    )
    flow_names: Annotated[list[Name], Field(max_length=MAX_IDS)] | None = None
    names: Annotated[list[Name], Field(max_length=MAX_IDS)] | None = Field(
        default=None, description="Deployment names (without the flow's name)."
    )
    name_like: Annotated[str, Field(max_length=200)] | None = None
    tags_all: Tags | None = None
    work_pool_names: Annotated[list[Name], Field(max_length=100)] | None = None
    paused: bool | None = None


class DeploymentQuery(Schema):
    deployments: DeploymentFilter = Field(default_factory=DeploymentFilter)
    limit: PageSize = 200
    offset: Offset = 0


class DeploymentFlowRunCreate(Schema):
    """A run of a deployment: the deployment's defaults overlaid with ``parameters``,
    validated against its parameter schema (a bad parameter is a 422 naming it)."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    name: Name | None = None
    tags: Tags = Field(default_factory=list, description="Added to the deployment's tags.")
    idempotency_key: Key | None = None
    scheduled_time: Timestamp | None = Field(
        default=None, description="When to run it (default: now)."
    )
    parent_flow_run_id: UUID | None = None
    work_queue_name: Name | None = None

    @field_validator("parameters")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_document(value, "parameters")
