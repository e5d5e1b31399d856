"""What every client (embedded store or HTTP server) offers.

Engine-facing methods take and return plain data (dicts, ``State``) so a flow run
never pays for pydantic; read methods return the pydantic schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

from headwater.schemas.orchestration import OrchestrationResult
from headwater.schemas.records import FlowRunCreate, LogRecord, TaskRunRecord
from headwater.states import State

if TYPE_CHECKING:
    from headwater.schemas.filters import (
        FlowRunFilter,
        FlowRunSort,
        LogFilter,
        TaskRunFilter,
        TaskRunSort,
    )
    from headwater.schemas.flow_runs import FlowRun
    from headwater.schemas.flows import Flow
    from headwater.schemas.logs import Log
    from headwater.schemas.task_runs import TaskRun


@runtime_checkable
class Client(Protocol):
    # -- engine-facing ------------------------------------------------------------
    def create_flow_run(self, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
        """Create (or, for a repeated id/idempotency key, return) a flow run: a dict of
        the run's fields with ``state`` (a ``State``) and ``was_created``."""
        ...

    def set_flow_run_state(
        self, flow_run_id: UUID, state: State, *, force: bool = False
    ) -> OrchestrationResult: ...

    def upsert_task_runs(self, records: Sequence[TaskRunRecord]) -> None: ...

    def create_logs(self, records: Sequence[LogRecord]) -> None: ...

    def write_batch(
        self, task_run_records: Sequence[TaskRunRecord], log_records: Sequence[LogRecord]
    ) -> None:
        """Task runs then logs (the batching writer's flush); ``TransientWriteError``
        when the store or server may accept them later."""
        ...

    # -- reads ----------------------------------------------------------------------
    def read_flows(self, *, limit: int = 200, offset: int = 0) -> list[Flow]: ...

    def read_flow_run(self, flow_run_id: UUID) -> FlowRun: ...

    def read_flow_runs(
        self,
        *,
        flow_run_filter: FlowRunFilter | None = None,
        sort: FlowRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FlowRun]: ...

    def read_flow_run_states(self, flow_run_id: UUID) -> list[State]: ...

    def delete_flow_run(self, flow_run_id: UUID) -> None: ...

    def read_task_run(self, task_run_id: UUID) -> TaskRun: ...

    def read_task_runs(
        self,
        *,
        task_run_filter: TaskRunFilter | None = None,
        sort: TaskRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TaskRun]: ...

    def read_logs(
        self, *, log_filter: LogFilter | None = None, limit: int = 200, offset: int = 0
    ) -> list[Log]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Client: ...

    def __exit__(self, *exc_info: object) -> None: ...
