"""Late runs, zombies and orphaned cancellations, each service run once directly."""

from __future__ import annotations

import time

import pytest

from headwater.schemas.filters import FlowRunFilter
from headwater.server.db.database import get_database
from headwater.server.services import cancellations, late_runs, zombies
from headwater.server.services.loop import run_all_once
from headwater.server.store import claims, flow_runs, run_control, work_pools
from headwater.states import Running
from tests.deployment_helpers import apply, make_pool, run_of


def _read(db, run_id):
    with db.begin_read() as conn:
        return flow_runs.read_flow_run(conn, flow_run_id=run_id)


def _history(db, run_id):
    with db.begin_read() as conn:
        return [s.name for s in flow_runs.read_flow_run_states(conn, flow_run_id=run_id)]


def _start(db, pool="pool", now=None):
    """Claim everything due and move it to Running (as an engine would)."""
    with db.begin_write() as conn:
        pool_id = work_pools.pool_id_by_name(conn, pool)
        ids = claims.claim_flow_runs(
            conn, worker_name="w", limit=100, work_pool_id=pool_id, now=now
        )
        for run_id in ids:
            flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Running())
            run_control.heartbeat_flow_run(conn, flow_run_id=run_id, now=now)
    return ids


def test_overdue_scheduled_runs_become_late_and_can_be_cancelled_in_bulk(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_LATE_AFTER_SECONDS", "10")
    db = get_database(database_url)
    d = apply(db)
    other = apply(db, name="other")
    now = time.time()
    late = run_of(db, d.id, scheduled_time=now - 60)
    fresh = run_of(db, d.id, scheduled_time=now - 5)
    elsewhere = run_of(db, other.id, scheduled_time=now - 60)
    assert late_runs.run_once(db, now) == 2
    assert _read(db, late["id"]).state.name == "Late"
    assert _read(db, late["id"]).state.type.value == "SCHEDULED"
    assert _read(db, fresh["id"]).state.name == "Scheduled"
    assert late_runs.run_once(db, now) == 0
    with db.begin_write() as conn:
        cancelled = run_control.cancel_flow_runs(
            conn, flow_run_filter=FlowRunFilter(state_names=["Late"], deployment_ids=[d.id])
        )
    assert cancelled == [late["id"]]
    assert _read(db, late["id"]).state.name == "Cancelled"
    assert _read(db, elsewhere["id"]).state.name == "Late"


def test_silent_runs_crash_and_are_retried_when_retries_remain(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_ZOMBIE_AFTER_SECONDS", "30")
    db = get_database(database_url)
    make_pool(db)
    once = apply(db, name="once", work_pool_name="pool")
    retried = apply(db, name="retried", work_pool_name="pool", empirical_policy={"retries": 1})
    a, b = run_of(db, once.id), run_of(db, retried.id)
    _start(db)
    now = time.time()
    assert zombies.run_once(db, now + 10) == 0
    assert zombies.run_once(db, now + 31) == 2
    crashed = _read(db, a["id"])
    assert crashed.state.name == "Crashed"
    assert "stopped sending heartbeats" in crashed.state.message
    again = _read(db, b["id"])
    assert again.state.name == "AwaitingRetry"
    assert _history(db, b["id"])[-2:] == ["Crashed", "AwaitingRetry"]
    # The retry is claimed and runs again; crashing again uses up the retries.
    assert _start(db, now=now + 32) == [b["id"]]
    assert zombies.run_once(db, now + 63) == 1
    assert _read(db, b["id"]).state.name == "Crashed"


def test_cancelling_not_started_runs_is_immediate_and_follows_subflows(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    d = apply(db, work_pool_name="pool")
    waiting = run_of(db, d.id)
    with db.begin_write() as conn:
        state = run_control.cancel_flow_run(conn, flow_run_id=waiting["id"])
    assert state.name == "Cancelled"
    parent = run_of(db, d.id)
    _start(db)
    child = run_of(db, d.id, parent_flow_run_id=parent["id"])
    with db.begin_write() as conn:
        assert run_control.cancel_flow_run(conn, flow_run_id=parent["id"]).name == "Cancelling"
    assert _read(db, child["id"]).state.name == "Cancelled"  # it had not started
    assert _read(db, parent["id"]).state.name == "Cancelling"  # its worker stops it


def test_orphaned_cancellations_end_cancelled(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_ZOMBIE_AFTER_SECONDS", "30")
    db = get_database(database_url)
    make_pool(db)
    d = apply(db, work_pool_name="pool")
    run = run_of(db, d.id)
    _start(db)
    with db.begin_write() as conn:
        run_control.cancel_flow_run(conn, flow_run_id=run["id"])
    assert cancellations.run_once(db, time.time()) == 0  # its worker is alive
    assert cancellations.run_once(db, time.time() + 31) == 1
    assert _read(db, run["id"]).state.name == "Cancelled"


def test_all_services_run_once_on_an_empty_store(database_url: str) -> None:
    run_all_once(get_database(database_url))
