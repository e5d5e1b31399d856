"""Filters and sort orders for reading runs and logs (used by clients and the API)."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp
from headwater.states import StateType


class FlowRunSort(str, Enum):
    CREATED_DESC = "CREATED_DESC"
    START_TIME_DESC = "START_TIME_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    EXPECTED_START_TIME_ASC = "EXPECTED_START_TIME_ASC"
    EXPECTED_START_TIME_DESC = "EXPECTED_START_TIME_DESC"
    NAME_ASC = "NAME_ASC"


class FlowRunFilter(Schema):
    """Every field narrows the result; unset fields do not filter."""

    ids: list[UUID] | None = Field(default=None, max_length=1000)
    flow_ids: list[UUID] | None = Field(default=None, max_length=1000)
    flow_names: list[str] | None = Field(default=None, max_length=1000)
    state_types: list[StateType] | None = None
    state_names: list[str] | None = Field(default=None, max_length=50)
    tags_all: list[str] | None = Field(default=None, max_length=50)
    parent_flow_run_id: UUID | None = None
    parent_task_run_id: UUID | None = None
    name_like: str | None = Field(default=None, max_length=200)
    start_time_after: Timestamp | None = None
    start_time_before: Timestamp | None = None


class TaskRunSort(str, Enum):
    CREATED_ASC = "CREATED_ASC"
    CREATED_DESC = "CREATED_DESC"
    START_TIME_ASC = "START_TIME_ASC"
    END_TIME_DESC = "END_TIME_DESC"


class TaskRunFilter(Schema):
    ids: list[UUID] | None = Field(default=None, max_length=1000)
    flow_run_ids: list[UUID] | None = Field(default=None, max_length=1000)
    state_types: list[StateType] | None = None
    task_keys: list[str] | None = Field(default=None, max_length=100)
    name_like: str | None = Field(default=None, max_length=200)


class LogFilter(Schema):
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    level_ge: int | None = Field(default=None, ge=0, le=100)
    timestamp_after: Timestamp | None = None
    timestamp_before: Timestamp | None = None
    text: str | None = Field(default=None, max_length=200)
