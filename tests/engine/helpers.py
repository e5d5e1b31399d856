"""Small helpers shared by the engine tests (real store, real files)."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def task_runs_of(flow_run_id: UUID) -> list[Any]:
    from headwater.client import get_client
    from headwater.schemas.filters import TaskRunFilter

    return get_client().read_task_runs(
        task_run_filter=TaskRunFilter(flow_run_ids=[flow_run_id]), limit=1000
    )


def log_messages(flow_run_id: UUID) -> list[str]:
    from headwater.client import get_client
    from headwater.schemas.filters import LogFilter

    logs = get_client().read_logs(log_filter=LogFilter(flow_run_id=flow_run_id), limit=1000)
    return [log.message for log in logs]
