"""The suspended_runs service ends a Suspended run past its timeout Failed (and leaves
other paused runs alone); resuming a Suspended run in the store schedules it again."""

from __future__ import annotations

import time

from headwater.server.db.database import get_database
from headwater.server.services import suspended_runs
from headwater.server.store import flow_runs, run_inputs
from headwater.states import Paused, Running, StateType, Suspended
from tests.deployment_helpers import apply, run_of


def _running(db, deployment_id, count: int):
    runs = [run_of(db, deployment_id, scheduled_time=time.time() - 1) for _ in range(count)]
    with db.begin_write() as conn:
        for run in runs:
            assert flow_runs.set_flow_run_state(
                conn, flow_run_id=run["id"], state=Running()
            ).accepted
    return [run["id"] for run in runs]


def _state(db, run_id):
    with db.begin_read() as conn:
        return flow_runs.read_flow_run(conn, flow_run_id=run_id).state


def test_expired_suspensions_fail_and_a_resumed_one_is_scheduled(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db, name="suspending")
    expired, waiting, paused, resumed = _running(db, d.id, 4)
    with db.begin_write() as conn:
        for run_id, state in (
            (expired, Suspended(timeout_seconds=5, pause_key="paused-1")),
            (waiting, Suspended(timeout_seconds=1000, pause_key="paused-1")),
            (paused, Paused(timeout_seconds=5, pause_key="paused-1")),  # its process waits
            (resumed, Suspended(timeout_seconds=5, pause_key="paused-1")),
        ):
            assert flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=state).accepted
        result = run_inputs.resume_flow_run(conn, flow_run_id=resumed)
    assert result.state.type is StateType.SCHEDULED
    assert suspended_runs.run_once(db, time.time() + 60) == 1
    failed = _state(db, expired)
    assert failed.type is StateType.FAILED
    assert "not resumed before its timeout" in (failed.message or "")
    assert _state(db, waiting).name == "Suspended"
    assert _state(db, paused).name == "Paused"
    assert _state(db, resumed).type is StateType.SCHEDULED
    assert suspended_runs.run_once(db, time.time() + 60) == 0
