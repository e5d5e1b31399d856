"""Flow runs as clients read them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.orchestration import SetStateStatus
from headwater.states import State, StateType


class FlowRun(Schema):
    id: UUID
    flow_id: UUID
    flow_name: str
    name: str
    flow_version: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    parent_flow_run_id: UUID | None = None
    parent_task_run_id: UUID | None = None
    idempotency_key: str | None = None
    state: State
    run_count: int = 0
    empirical_policy: dict[str, Any] = Field(default_factory=dict)
    expected_start_time: Timestamp | None = None
    next_scheduled_start_time: Timestamp | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    total_run_time: float = 0.0
    created: Timestamp
    updated: Timestamp
    entrypoint: str | None = None
    deployment_id: UUID | None = None
    work_pool_id: UUID | None = None
    work_queue_id: UUID | None = None
    schedule_id: UUID | None = None
    auto_scheduled: bool = False
    worker_name: str | None = None
    infrastructure_pid: str | None = None
    heartbeat: Timestamp | None = None

    @property
    def state_type(self) -> StateType:
        """A ``str`` enum: compares equal to ``"COMPLETED"`` and to ``StateType.COMPLETED``."""
        return self.state.type

    @property
    def state_name(self) -> str:
        return self.state.name

    @property
    def estimated_run_time(self) -> dt.timedelta:
        """Time spent running so far (Prefect's name)."""
        return dt.timedelta(seconds=self.total_run_time)


class StateTransition(Schema):
    """One entry of a run's state history."""

    type: str
    name: str
    message: str | None = None
    timestamp: Timestamp


class SetStateResult(Schema):
    """The answer to a proposed state: ACCEPT, or REJECT with the run's state and why."""

    status: SetStateStatus
    state: State
    reason: str | None = None
