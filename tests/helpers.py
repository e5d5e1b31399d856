"""Small helpers shared by tests: reading back what a flow run stored."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from headwater.client import get_client
from headwater.client.writer import flush_all


def stored_runs(**filters: Any) -> list[Any]:
    """Flow runs in the store, newest first (after flushing pending writes)."""
    from headwater.schemas.filters import FlowRunFilter

    flush_all()
    flt = FlowRunFilter(**filters) if filters else None
    return get_client().read_flow_runs(flow_run_filter=flt, limit=1000)


def last_run() -> Any:
    runs = stored_runs()
    assert runs, "no flow run was stored"
    return runs[0]


def task_runs_of(flow_run_id: UUID) -> list[Any]:
    from headwater.schemas.filters import TaskRunFilter

    flush_all()
    return get_client().read_task_runs(
        task_run_filter=TaskRunFilter(flow_run_ids=[flow_run_id]), limit=10000
    )


def logs_of(flow_run_id: UUID) -> list[Any]:
    from headwater.schemas.filters import LogFilter

    flush_all()
    return get_client().read_logs(log_filter=LogFilter(flow_run_id=flow_run_id), limit=10000)


def history_of(flow_run_id: UUID) -> list[str]:
    return [state.name for state in get_client().read_flow_run_states(flow_run_id)]
