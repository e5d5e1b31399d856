"""Task runs as clients read them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.flow_runs import StateTransition
from headwater.states import State


class TaskRun(Schema):
    id: UUID
    flow_run_id: UUID | None = None
    task_key: str
    dynamic_key: str
    name: str
    state: State
    transitions: list[StateTransition] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    inputs: dict[str, list[UUID]] = Field(default_factory=dict)
    run_count: int = 0
    flow_run_attempt: int = 1
    cache_key: str | None = None
    result: dict[str, Any] | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    created: Timestamp
    updated: Timestamp

    @property
    def duration(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()
