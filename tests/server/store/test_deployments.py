"""Deployments in the store: idempotent apply, stable schedules, runs from a deployment."""

from __future__ import annotations

import pytest

from headwater.exceptions import (
    DeploymentNotFound,
    InvalidOptionError,
    ParameterValidationError,
    WorkPoolNotFound,
)
from headwater.schemas.deployments import DeploymentUpdate, ScheduleUpdate
from headwater.schemas.filters import FlowRunFilter
from headwater.server.db.database import get_database
from headwater.server.services import scheduler
from headwater.server.store import deployments, flow_runs
from tests.deployment_helpers import apply, make_pool, run_of, ts

HOURLY = [{"cron": "0 * * * *"}]


def _runs(db, deployment_id, **flt):
    with db.begin_read() as conn:
        return flow_runs.read_flow_runs(
            conn,
            flow_run_filter=FlowRunFilter(deployment_ids=[deployment_id], **flt),
            limit=1000,
        )


def test_apply_is_idempotent_and_keeps_scheduled_runs(database_url: str) -> None:
    db = get_database(database_url)
    now = ts(2024, 5, 1, 12, 30)
    first = apply(db, schedules=HOURLY)
    scheduler.run_once(db, now)
    before = {r.id for r in _runs(db, first.id)}
    assert len(before) == 3
    for i in range(20):
        again = apply(db, schedules=HOURLY)
        assert again.id == first.id
        assert again.schedules[0].id == first.schedules[0].id
        scheduler.run_once(db, now + i)
    after = _runs(db, first.id)
    assert {r.id for r in after} == before
    assert len({r.idempotency_key for r in after}) == 3


def test_names_are_unique_per_flow_and_read_by_full_name(database_url: str) -> None:
    db = get_database(database_url)
    a = apply(db, name="daily", flow="etl")
    b = apply(db, name="daily", flow="report")
    assert a.id != b.id
    with db.begin_read() as conn:
        found = deployments.read_deployment_by_name(conn, full_name="report/daily")
        assert found.id == b.id and found.full_name == "report/daily"
        with pytest.raises(DeploymentNotFound, match="etl/daily"):
            deployments.read_deployment_by_name(conn, full_name="etl/nope")
        with pytest.raises(DeploymentNotFound, match="flow-name/deployment-name"):
            deployments.read_deployment_by_name(conn, full_name="nope")


def test_editing_or_removing_a_schedule_removes_its_unstarted_runs(database_url: str) -> None:
    db = get_database(database_url)
    now = ts(2024, 5, 1, 12, 30)
    d = apply(db, schedules=[{"cron": "0 * * * *"}, {"interval": 600}])
    scheduler.run_once(db, now)
    hourly = next(s for s in d.schedules if s.schedule.get("cron"))
    every_ten = next(s for s in d.schedules if s.schedule.get("interval"))
    assert len(_runs(db, d.id)) == 3 + 6  # every 10 min for an hour
    with db.begin_write() as conn:
        deployments.update_schedule(
            conn,
            deployment_id=d.id,
            schedule_id=every_ten.id,
            changes=ScheduleUpdate(parameters={"n": 5}),
        )
    remaining = _runs(db, d.id)
    assert {r.schedule_id for r in remaining} == {hourly.id}
    scheduler.run_once(db, now)
    new = [r for r in _runs(db, d.id) if r.schedule_id == every_ten.id]
    assert len(new) == 6 and all(r.parameters == {"n": 5} for r in new)
    apply(db, schedules=[{"cron": "0 * * * *"}])  # the interval schedule is gone
    assert {r.schedule_id for r in _runs(db, d.id)} == {hourly.id}


def test_pausing_removes_unstarted_runs_and_stops_scheduling(database_url: str) -> None:
    db = get_database(database_url)
    now = ts(2024, 5, 1, 12, 30)
    d = apply(db, schedules=HOURLY)
    scheduler.run_once(db, now)
    manual = run_of(db, d.id, parameters={"n": 2})
    with db.begin_write() as conn:
        deployments.update_deployment(
            conn, deployment_id=d.id, changes=DeploymentUpdate(paused=True)
        )
    assert [r.id for r in _runs(db, d.id)] == [manual["id"]]  # manual runs stay
    scheduler.run_once(db, now + 60)
    assert len(_runs(db, d.id)) == 1


def test_runs_from_a_deployment_are_validated_against_its_schema(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db)
    created = run_of(db, d.id, parameters={"name": "y"})
    assert created["parameters"] == {"n": 1, "name": "y"}
    assert created["state"].name == "Scheduled"
    assert created["deployment_id"] == d.id
    with pytest.raises(ParameterValidationError) as info:
        run_of(db, d.id, parameters={"n": "many", "colour": "red"})
    assert "parameter 'n': 'many' is not an integer" in str(info.value)
    assert "'colour'" in str(info.value)
    assert info.value.errors[0]["loc"] == ["body", "parameters", "n"]
    again = run_of(db, d.id, idempotency_key="k1")
    assert run_of(db, d.id, idempotency_key="k1")["id"] == again["id"]


def test_pools_and_queues_are_resolved_when_applying(database_url: str) -> None:
    db = get_database(database_url)
    with pytest.raises(WorkPoolNotFound, match="work-pool create missing"):
        apply(db, work_pool_name="missing")
    make_pool(db, "p")
    d = apply(db, work_pool_name="p", work_queue_name="critical")
    assert (d.work_pool_name, d.work_queue_name) == ("p", "critical")
    d = apply(db, work_pool_name="p")
    assert d.work_queue_name == "default"
    with pytest.raises(InvalidOptionError, match="needs a work_pool_name"):
        apply(db, work_queue_name="q")


def test_invalid_schedules_name_the_field(database_url: str) -> None:
    db = get_database(database_url)
    with pytest.raises(InvalidOptionError, match="cron '61 \\* \\* \\* \\*' is not a valid"):
        apply(db, schedules=[{"cron": "61 * * * *"}])
    with pytest.raises(InvalidOptionError, match="timezone 'Mars/Base' is not a known"):
        apply(db, schedules=[{"cron": "0 * * * *", "timezone": "Mars/Base"}])
    with pytest.raises(InvalidOptionError, match="rrule 'FREQ=SOMETIMES' is not valid"):
        apply(db, schedules=[{"rrule": "FREQ=SOMETIMES"}])


def test_deleting_a_deployment_keeps_its_past_runs(database_url: str) -> None:
    db = get_database(database_url)
    now = ts(2024, 5, 1, 12, 30)
    d = apply(db, schedules=HOURLY)
    scheduler.run_once(db, now)
    done = run_of(db, d.id)
    from headwater.states import Completed

    with db.begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=done["id"], state=Completed(), force=True)
        deployments.delete_deployment(conn, deployment_id=d.id)
        with pytest.raises(DeploymentNotFound):
            deployments.read_deployment(conn, deployment_id=d.id)
    assert [r.id for r in _runs(db, d.id)] == [done["id"]]
