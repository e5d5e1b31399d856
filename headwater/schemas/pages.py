"""Read queries (filter + sort + page) and the pages the API answers with.

A page is ``{"results": [...], "next_cursor": ...}``.  ``next_cursor`` is set when the
page is full; sending it back as ``cursor`` gives the next page (keyset pagination:
stable while rows are added, as fast at page 1,000 as at page 1).  ``offset`` works
too, alone or counted from the cursor.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from headwater.schemas.base import Schema
from headwater.schemas.filters import (
    FlowRunFilter,
    FlowRunSort,
    LogFilter,
    TaskRunFilter,
    TaskRunSort,
)
from headwater.schemas.flow_runs import FlowRun
from headwater.schemas.limits import Offset, PageSize
from headwater.schemas.logs import Log
from headwater.schemas.task_runs import TaskRun

Cursor = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class FlowQuery(Schema):
    name_like: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")] | None = (
        None
    )
    limit: PageSize = 200
    offset: Offset = 0


class FlowRunQuery(Schema):
    flow_runs: FlowRunFilter = Field(default_factory=FlowRunFilter)
    sort: FlowRunSort = FlowRunSort.CREATED_DESC
    limit: PageSize = 200
    offset: Offset = 0
    cursor: Cursor | None = None


class FlowRunCount(Schema):
    flow_runs: FlowRunFilter = Field(default_factory=FlowRunFilter)


class TaskRunQuery(Schema):
    task_runs: TaskRunFilter = Field(default_factory=TaskRunFilter)
    sort: TaskRunSort = TaskRunSort.CREATED_ASC
    limit: PageSize = 200
    offset: Offset = 0
    cursor: Cursor | None = None


class TaskRunCount(Schema):
    task_runs: TaskRunFilter = Field(default_factory=TaskRunFilter)


class LogQuery(Schema):
    logs: LogFilter = Field(default_factory=LogFilter)
    limit: PageSize = 200
    offset: Offset = 0
    cursor: Cursor | None = None


class LogCount(Schema):
    logs: LogFilter = Field(default_factory=LogFilter)


class FlowRunPage(Schema):
    results: list[FlowRun]
    next_cursor: str | None = None


class TaskRunPage(Schema):
    results: list[TaskRun]
    next_cursor: str | None = None


class LogPage(Schema):
    results: list[Log]
    next_cursor: str | None = None
