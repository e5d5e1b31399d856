"""The compact records the engine writes in bulk (plain dicts, no validation cost).

A ``TaskRunRecord`` carries its whole state history in ``transitions`` so one row per
task run is written, updated in place (upsert by id) as the run progresses.
"""

from __future__ import annotations

from typing import Any, TypedDict
from uuid import UUID


class TaskRunRecord(TypedDict):
    id: UUID
    flow_run_id: UUID | None
    task_key: str
    dynamic_key: str
    name: str
    state_type: str
    state_name: str
    state_message: str | None
    state_timestamp: float
    transitions: list[list[Any]]  # [type, name, timestamp, message]
    tags: list[str]
    inputs: dict[str, list[str]]  # parameter -> upstream task run ids (lineage)
    run_count: int
    flow_run_attempt: int
    cache_key: str | None
    result: dict[str, Any] | None  # the persisted result's ref (headwater.results)
    start_time: float | None
    end_time: float | None
    created: float
    updated: float


class LogRecord(TypedDict):
    id: UUID
    flow_run_id: UUID | None
    task_run_id: UUID | None
    name: str
    level: int
    message: str
    timestamp: float


class FlowRunCreate(TypedDict, total=False):
    """What the engine (or an API caller) sends to create a flow run."""

    id: UUID
    flow_name: str
    name: str
    flow_version: str | None
    parameters: dict[str, Any]
    tags: list[str]
    parent_flow_run_id: UUID | None
    parent_task_run_id: UUID | None
    idempotency_key: str | None
    empirical_policy: dict[str, Any]
    expected_start_time: float | None
    entrypoint: str | None
    # Runs of a deployment (set by the store when a deployment's run is created).
    deployment_id: UUID | None
    work_pool_id: UUID | None
    work_queue_id: UUID | None
    schedule_id: UUID | None
    auto_scheduled: bool
