"""Runs written straight into a test server's SQLite store (through the store layer)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from uuid import UUID

from headwater.server.db.database import Database, get_database
from headwater.server.store import flow_runs, work_pools
from headwater.states import (
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Pending,
    Running,
    Scheduled,
    State,
)
from tests._servers import ServerProcess

UTC = dt.timezone.utc


def store(server: ServerProcess) -> Database:
    return get_database(f"sqlite:///{server.home / 'headwater.db'}")


def states_for(kind: str, due: float) -> list[State]:
    """The states a run goes through to end up in ``kind``."""
    when = dt.datetime.fromtimestamp(due, UTC)
    return {
        "PENDING": [],
        "SCHEDULED": [Scheduled(when)],
        "RUNNING": [Running()],
        "COMPLETED": [Running(), Completed()],
        "FAILED": [Running(), Failed(message="boom: ValueError")],
        "CRASHED": [Running(), Crashed(message="the process died")],
        "CANCELLED": [Cancelled()],
    }[kind]


def make_run(
    server: ServerProcess,
    flow: str,
    name: str,
    kind: str = "COMPLETED",
    *,
    due: float | None = None,
    tags: list[str] | None = None,
    parent_task_run_id: UUID | None = None,
) -> UUID:
    due = due if due is not None else time.time()
    with store(server).begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn,
            flow_run={  # type: ignore[typeddict-item]
                "flow_name": flow,
                "name": name,
                "expected_start_time": due,
                "tags": tags or [],
                "parent_task_run_id": parent_task_run_id,
            },
            state=Pending(),
        )
        for state in states_for(kind, due):
            flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=state, force=True)
    return UUID(str(run["id"]))


def set_state(server: ServerProcess, run_id: UUID, state: State) -> None:
    with store(server).begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=state, force=True)


def state_of(server: ServerProcess, run_id: UUID) -> tuple[str, str] | None:
    from headwater.server.store.run_stats import run_states

    with store(server).begin_read() as conn:
        return run_states(conn, flow_run_ids=[run_id]).get(run_id)


def make_pool(server: ServerProcess, name: str, workers: dict[str, float]) -> None:
    """A work pool whose workers were last seen at the given epoch times."""
    from headwater.schemas.work_pools import WorkPoolCreate

    with store(server).begin_write() as conn:
        work_pools.create_work_pool(conn, pool=WorkPoolCreate(name=name))
        pool_id = work_pools.pool_id_by_name(conn, name)
        for worker, seen in workers.items():
            work_pools.worker_heartbeat(
                conn,
                pool_id=pool_id,
                name=worker,
                hostname="test",
                pid=1,
                heartbeat_seconds=30.0,
                now=seen,
            )


def row_names(page: Any) -> list[str]:
    return [str(n) for n in page.locator(".runs-table .run-name").all_inner_texts()]


def row_states(page: Any) -> list[str]:
    return [str(s) for s in page.locator(".runs-table .state-cell .badge").all_inner_texts()]
