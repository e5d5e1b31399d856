"""Waking workers from the store's after-commit event dispatch: a committed write that
makes work wakes the waiting requests, a rolled-back one wakes nobody (real store,
real ``WorkNotifier`` on an event loop of its own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.schemas.deployments import DeploymentFlowRunCreate, DeploymentUpdate, ScheduleCreate
from headwater.server.db.database import Database, get_database
from headwater.server.notify import subscribe_wakes, wakes_workers, work_notifier
from headwater.server.services import scheduler
from headwater.server.store import deployment_runs, deployments, flow_runs, run_control
from headwater.states import Running
from tests.client.conformance.contract_deployments import deployment


@pytest.fixture
def woken(database_url: str) -> Iterator[tuple[Database, Any]]:
    """The store, and ``woken(seconds)``: whether a wake came since the last call."""
    db = get_database(database_url)
    loop = asyncio.new_event_loop()
    work_notifier.bind(loop)
    unsubscribe = subscribe_wakes()
    snapshot = [work_notifier.snapshot()]

    def check(seconds: float) -> bool:
        came = loop.run_until_complete(work_notifier.wait(snapshot[0], seconds))
        snapshot[0] = work_notifier.snapshot()
        return came

    try:
        yield db, check
    finally:
        unsubscribe()
        work_notifier.unbind()
        loop.close()


class RolledBack(Exception):
    pass


def test_a_rolled_back_write_wakes_no_worker(woken: tuple[Database, Any]) -> None:
    db, check = woken
    with db.begin_write() as conn:
        made, _ = deployments.apply_deployment(conn, deployment=deployment())
    check(0.05)  # whatever applying woke
    with pytest.raises(RolledBack), db.begin_write() as conn:
        deployment_runs.create_deployment_flow_run(
            conn, deployment_id=made.id, run=DeploymentFlowRunCreate()
        )
        raise RolledBack
    assert not check(0.3)
    with db.begin_write() as conn:
        run = deployment_runs.create_deployment_flow_run(
            conn, deployment_id=made.id, run=DeploymentFlowRunCreate()
        )
    assert check(5.0)
    with db.begin_write() as conn:  # a running run: cancelling it asks its worker to stop it
        flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=Running(), force=True)
    check(0.05)
    with pytest.raises(RolledBack), db.begin_write() as conn:
        run_control.cancel_flow_run(conn, flow_run_id=run["id"])
        raise RolledBack
    assert not check(0.3)
    with db.begin_write() as conn:
        state = run_control.cancel_flow_run(conn, flow_run_id=run["id"])
    assert state.name == "Cancelling"
    assert check(5.0)


def test_resuming_a_deployment_and_scheduling_runs_wake_workers(
    woken: tuple[Database, Any],
) -> None:
    db, check = woken
    with db.begin_write() as conn:
        made, _ = deployments.apply_deployment(
            conn,
            deployment=deployment(paused=True, schedules=[ScheduleCreate(interval=60)]),
        )
    check(0.05)
    with db.begin_write() as conn:
        deployments.update_deployment(
            conn, deployment_id=made.id, changes=DeploymentUpdate(paused=False)
        )
    assert check(5.0)
    report = scheduler.run_once(db, time.time(), deployment_ids=[made.id])
    assert report.created > 0
    assert check(5.0)


@pytest.mark.parametrize(
    ("name", "state_type", "wakes"),
    [
        ("headwater.flow-run.Scheduled", "SCHEDULED", True),
        ("headwater.flow-run.AwaitingRetry", "SCHEDULED", True),
        ("headwater.flow-run.Cancelling", "CANCELLING", True),
        ("headwater.flow-run.Running", "RUNNING", False),
        ("headwater.flow-run.Completed", "COMPLETED", False),
        ("headwater.work-pool.resumed", None, True),
        ("headwater.work-queue.resumed", None, True),
        ("headwater.deployment.paused", None, False),
        ("shop.order.paid", None, False),
    ],
)
def test_which_events_wake_workers(name: str, state_type: str | None, wakes: bool) -> None:
    resource = {"headwater.resource.id": "x"}
    if state_type:
        resource["headwater.state-type"] = state_type
    assert wakes_workers({"event": name, "resource": resource}) is wakes
