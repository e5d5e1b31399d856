"""Filters and sort orders for reading runs and logs (used by clients and the API)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import MAX_IDS, Key, Name, Tag
from headwater.states import StateType

#: An id prefix: hex digits (dashes ignored), as ``headwater flow-run ls`` prints ids.
IdPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{1,36}$")]


def id_prefix_bounds(prefix: str) -> tuple[UUID, UUID]:
    """The lowest and highest ids starting with ``prefix``: a prefix is an id range,
    so finding it is a range read on the primary key."""
    digits = prefix.replace("-", "").lower()[:32]
    return UUID(digits.ljust(32, "0")), UUID(digits.ljust(32, "f"))


class FlowRunSort(str, Enum):
    CREATED_DESC = "CREATED_DESC"
    START_TIME_DESC = "START_TIME_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    END_TIME_DESC = "END_TIME_DESC"


class FlowRunFilter(Schema):
    """Every field narrows the result; unset fields do not filter."""

    ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    id_prefix: IdPrefix | None = Field(default=None, description="Runs whose id starts so.")
    flow_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    flow_names: list[Name] | None = Field(default=None, max_length=MAX_IDS)
    flow_versions: list[Name] | None = Field(default=None, max_length=100)
    names: list[Name] | None = Field(default=None, max_length=MAX_IDS)
    state_types: list[StateType] | None = Field(default=None, max_length=20)
    state_types_not: list[StateType] | None = Field(default=None, max_length=20)
    state_names: list[Name] | None = Field(default=None, max_length=50)
    state_names_not: list[Name] | None = Field(default=None, max_length=50)
    tags_all: list[Tag] | None = Field(default=None, max_length=50)
    tags_any: list[Tag] | None = Field(default=None, max_length=50)
    parent_flow_run_id: UUID | None = None
    parent_flow_run_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    parent_task_run_id: UUID | None = None
    has_parent: bool | None = Field(
        default=None, description="True: subflow runs only; False: top-level runs only."
    )
    name_like: Key | None = Field(default=None, max_length=200)
    start_time_after: Timestamp | None = None
    start_time_before: Timestamp | None = None
    end_time_after: Timestamp | None = None
    end_time_before: Timestamp | None = None
    expected_start_time_after: Timestamp | None = None
    expected_start_time_before: Timestamp | None = None
    deployment_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    work_pool_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    work_queue_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    auto_scheduled: bool | None = None
    idempotency_keys: list[Key] | None = Field(default=None, max_length=MAX_IDS)


class TaskRunSort(str, Enum):
    CREATED_ASC = "CREATED_ASC"
    CREATED_DESC = "CREATED_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


class TaskRunFilter(Schema):
    ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    id_prefix: IdPrefix | None = Field(default=None, description="Runs whose id starts so.")
    flow_run_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    state_types: list[StateType] | None = Field(default=None, max_length=20)
    state_names: list[Name] | None = Field(default=None, max_length=50)
    task_keys: list[Key] | None = Field(default=None, max_length=100)
    names: list[Name] | None = Field(default=None, max_length=MAX_IDS)
    name_like: Key | None = Field(default=None, max_length=200)
    tags_all: list[Tag] | None = Field(default=None, max_length=50)
    start_time_after: Timestamp | None = None
    start_time_before: Timestamp | None = None


class LogFilter(Schema):
    flow_run_id: UUID | None = None
    flow_run_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    task_run_id: UUID | None = None
    task_run_ids: list[UUID] | None = Field(default=None, max_length=MAX_IDS)
    task_run_is_null: bool | None = Field(
        default=None, description="True: flow-run logs only; False: task-run logs only."
    )
    level_ge: int | None = Field(default=None, ge=0, le=100)
    level_le: int | None = Field(default=None, ge=0, le=100)
    timestamp_after: Timestamp | None = None
    timestamp_before: Timestamp | None = None
    text: Key | None = Field(default=None, max_length=200)
