"""The UI's numbers about flows and deployments, computed in SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from headwater.exceptions import ObjectNotFound
from headwater.schemas.records import FlowRunCreate
from headwater.server.db.database import get_database
from headwater.server.store import deployment_stats, flow_runs, flow_stats
from headwater.states import Completed, Failed, Pending, Running, Scheduled
from tests.deployment_helpers import apply, run_of


def _started_run(db: Any, flow: str, *, fail: bool = False, **fields: Any) -> Any:
    """A run of ``flow`` taken through Pending and Running to its end."""
    record: FlowRunCreate = {"flow_name": flow, "name": f"r-{uuid.uuid4().hex[:6]}", **fields}
    with db.begin_write() as conn:
        run = flow_runs.create_flow_run(conn, flow_run=record, state=Pending())
        for state in (Running(), Failed() if fail else Completed()):
            flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=state, force=True)
            time.sleep(0.002)  # distinct start times
    return run["id"]


def test_flow_summaries_count_runs_and_deployments_and_find_the_last_run(
    database_url: str,
) -> None:
    db = get_database(database_url)
    first = _started_run(db, "etl")
    last = _started_run(db, "etl", fail=True)
    with db.begin_write() as conn:  # never started: not the "last run"
        flow_runs.create_flow_run(
            conn, flow_run={"flow_name": "etl", "name": "later"}, state=Scheduled()
        )
    _started_run(db, "report")
    apply(db, name="a", flow="etl")
    apply(db, name="b", flow="etl")
    apply(db, name="c", flow="idle")
    with db.begin_read() as conn:
        found = {f["name"]: f for f in flow_stats.read_flow_summaries(conn)}
        assert list(found) == ["etl", "idle", "report"]
        etl = found["etl"]
        assert (etl["run_count"], etl["deployment_count"]) == (3, 2)
        assert etl["last_run"] is not None
        assert etl["last_run"]["id"] == last and etl["last_run"]["state_type"] == "FAILED"
        assert etl["last_run"]["id"] != first
        assert found["idle"]["run_count"] == 0 and found["idle"]["last_run"] is None
        assert found["report"]["deployment_count"] == 0
        assert found["report"]["last_run"]["state_name"] == "Completed"  # type: ignore[index]
        assert [f["name"] for f in flow_stats.read_flow_summaries(conn, name_like="PO")] == [
            "report"
        ]
        page = flow_stats.read_flow_summaries(conn, limit=1, offset=1)
        assert [f["name"] for f in page] == ["idle"]
        one = flow_stats.read_flow_summary(conn, flow_id=etl["id"])
        assert one == etl
        with pytest.raises(ObjectNotFound, match="not found"):
            flow_stats.read_flow_summary(conn, flow_id=uuid.uuid4())


def test_deployment_last_upcoming_and_recent_runs(database_url: str) -> None:
    db = get_database(database_url)
    deployment = apply(db)
    other = apply(db, name="other")
    never = apply(db, name="never")
    done = _started_run(db, "etl", deployment_id=deployment.id)
    latest = _started_run(db, "etl", deployment_id=deployment.id, fail=True)
    _started_run(db, "etl", deployment_id=other.id)
    now = time.time()
    soon = run_of(db, deployment.id, parameters={"n": 2}, scheduled_time=now + 60)
    sooner = run_of(db, deployment.id, parameters={"n": 3}, scheduled_time=now + 30)
    with db.begin_read() as conn:
        last = deployment_stats.last_runs(conn, deployment_ids=[deployment.id, other.id, never.id])
        assert set(last) == {deployment.id, other.id}
        assert last[deployment.id]["id"] == latest
        assert last[deployment.id]["state_type"] == "FAILED"
        assert deployment_stats.last_runs(conn, deployment_ids=[]) == {}
        upcoming = deployment_stats.upcoming_runs(conn, deployment_id=deployment.id)
        assert [r.id for r in upcoming] == [sooner["id"], soon["id"]]
        recent = deployment_stats.recent_runs(conn, deployment_id=deployment.id)
        assert [r.id for r in recent] == [latest, done]
        assert deployment_stats.recent_runs(conn, deployment_id=never.id) == []
