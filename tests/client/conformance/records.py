"""Run records as the engine hands them to a client (plain dicts, see
``headwater.schemas.records``), and small helpers the contracts share."""

from __future__ import annotations

import time
import uuid
from typing import Any

from headwater.client.protocol import Client
from headwater.schemas.records import FlowRunCreate, LogRecord, TaskRunRecord
from headwater.states import Running, State


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def task_record(flow_run_id: uuid.UUID | None, **changes: Any) -> TaskRunRecord:
    """A finished task run (Pending -> Running -> Completed, a plain history), any
    field changed by ``changes`` (even to values the store must refuse)."""
    now = time.time()
    record: dict[str, Any] = {
        "id": uuid.uuid4(),
        "flow_run_id": flow_run_id,
        "task_key": "conformance.step",
        "dynamic_key": "0",
        "name": "step-0",
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": [],
        "inputs": {},
        "run_count": 1,
        "flow_run_attempt": 1,
        "cache_key": None,
        "result": None,
        "start_time": now,
        "end_time": now,
        "created": now,
        "updated": now,
    }
    record.update(changes)
    return TaskRunRecord.from_dict(record)


def log_record(flow_run_id: uuid.UUID | None, message: str, **changes: Any) -> LogRecord:
    record: dict[str, Any] = {
        "id": uuid.uuid4(),
        "flow_run_id": flow_run_id,
        "task_run_id": None,
        "name": "conformance",
        "level": 20,
        "message": message,
        "timestamp": time.time(),
    }
    record.update(changes)
    return record  # type: ignore[return-value]


def new_run(client: Client, state: State | None = None, **fields: Any) -> dict[str, Any]:
    """A flow run of a flow of its own; the engine's view of it (a dict)."""
    body: dict[str, Any] = {"id": uuid.uuid4(), "flow_name": unique("conf"), "name": "run"}
    body.update(fields)
    flow_run: FlowRunCreate = body  # type: ignore[assignment]
    return client.create_flow_run(flow_run, state or Running())
