"""Store pieces behind the UI's views, on SQLite and PostgreSQL: runs due by a moment
(the runs list's default tab), task-run counts of a window (the dashboard), saved
filters, and a deployment's schedules added, replaced and deleted one at a time."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater.exceptions import DeploymentNotFound, InvalidOptionError, ObjectAlreadyExists
from headwater.schemas.deployments import DeploymentCreate, ScheduleCreate
from headwater.schemas.filters import FlowRunFilter, FlowRunSort
from headwater.schemas.saved_filters import SavedFilterCreate
from headwater.server.db.database import get_database
from headwater.server.store import (
    deployment_schedules,
    deployments,
    flow_runs,
    run_stats,
    saved_filters,
)
from headwater.states import Pending
from tests.server.ui.run_data import seed_flow_run


def _run(url: str, name: str, due: float) -> Any:
    with get_database(url).begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn,
            flow_run={"flow_name": "views", "name": name, "expected_start_time": due},  # type: ignore[typeddict-item]
            state=Pending(),
        )
    return run["id"]


def test_due_by_leaves_out_runs_due_later(database_url: str) -> None:
    now = time.time()
    for i in range(3):
        _run(database_url, f"past-{i}", now - 60 * (i + 1))
    _run(database_url, "later", now + 3600)
    flt = FlowRunFilter(flow_names=["views"])
    sort = FlowRunSort("EXPECTED_START_TIME_DESC")
    with get_database(database_url).begin_read() as conn:
        runs, _ = flow_runs.read_flow_runs_page(conn, flow_run_filter=flt, sort=sort, due_by=now)
        assert [r.name for r in runs] == ["past-0", "past-1", "past-2"]
        assert flow_runs.count_flow_runs(conn, flow_run_filter=flt, cap=100, due_by=now) == 3
        assert flow_runs.count_flow_runs(conn, flow_run_filter=flt, due_by=now) == 3
        assert flow_runs.count_flow_runs(conn, flow_run_filter=flt) == 4


def test_task_run_counts_of_a_window(database_url: str) -> None:
    seed_flow_run(database_url, tasks=20, failed_every=5)
    now = time.time()
    with get_database(database_url).begin_read() as conn:
        counts = run_stats.task_run_counts(conn, since=now - 3600, until=now)
        assert counts == {"COMPLETED": 16, "FAILED": 4}
        assert run_stats.task_run_counts(conn, since=now - 7200, until=now - 3600) == {}


def test_saved_filters_are_unique_per_page(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        made = saved_filters.create_saved_filter(
            conn, saved=SavedFilterCreate(name=" Failed prod ", query="?state=FAILED&tag=prod")
        )
    assert (made.name, made.query, made.page) == (
        "Failed prod",
        "state=FAILED&tag=prod",
        "flow-runs",
    )
    with pytest.raises(ObjectAlreadyExists), db.begin_write() as conn:
        saved_filters.create_saved_filter(conn, saved=SavedFilterCreate(name="Failed prod"))
    with db.begin_write() as conn:
        assert [f.name for f in saved_filters.read_saved_filters(conn, page="flow-runs")] == [
            "Failed prod"
        ]
        assert saved_filters.delete_saved_filter(conn, filter_id=made.id) is True
        assert saved_filters.delete_saved_filter(conn, filter_id=made.id) is False


def test_schedules_one_at_a_time(database_url: str) -> None:
    db = get_database(database_url)
    body = DeploymentCreate(flow_name="sched", name="one", entrypoint="f.py:sched")
    with db.begin_write() as conn:
        deployment, _ = deployments.apply_deployment(conn, deployment=body)
        d = deployment_schedules.add_schedule(
            conn, deployment_id=deployment.id, schedule=ScheduleCreate(cron="0 6 * * *")
        )
        assert [s.schedule["cron"] for s in d.schedules] == ["0 6 * * *"]
        with pytest.raises(ObjectAlreadyExists):
            deployment_schedules.add_schedule(
                conn, deployment_id=deployment.id, schedule=ScheduleCreate(cron="0 6 * * *")
            )
        with pytest.raises(InvalidOptionError):
            deployment_schedules.add_schedule(
                conn, deployment_id=deployment.id, schedule=ScheduleCreate(cron="nope")
            )
        old = d.schedules[0].id
        d = deployment_schedules.replace_schedule(
            conn,
            deployment_id=deployment.id,
            schedule_id=old,
            schedule=ScheduleCreate(interval=600, active=False),
        )
        (only,) = d.schedules
        assert only.id != old and only.schedule["interval"] == 600 and only.active is False
        d = deployment_schedules.delete_schedule(
            conn, deployment_id=deployment.id, schedule_id=only.id
        )
        assert d.schedules == []
        with pytest.raises(DeploymentNotFound):
            deployment_schedules.delete_schedule(
                conn, deployment_id=deployment.id, schedule_id=only.id
            )
