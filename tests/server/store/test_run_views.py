"""The run pages' reads (task-run counts, log tail, overview) and the UI's retry, on SQLite
and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater.exceptions import ObjectNotFound
from headwater.server.db.database import get_database
from headwater.server.store import claims, flow_runs, logs, run_retry, run_views
from headwater.server.store import task_runs as task_run_store
from headwater.states import Completed, Failed, Running
from headwater.utilities.ids import new_id
from tests.deployment_helpers import apply, run_of
from tests.server.ui.run_data import seed_flow_run


def test_task_runs_are_counted_by_state(database_url: str) -> None:
    run_id = seed_flow_run(database_url, tasks=3000, task_names=40, failed_every=50)
    with get_database(database_url).begin_read() as conn:
        counts = run_views.count_task_runs_by_state(conn, flow_run_id=run_id)
        assert run_views.count_task_runs_by_state(conn, flow_run_id=new_id()) == {}
    assert counts == {"COMPLETED": 2940, "FAILED": 60}


def _log(run_id: Any, task_run_id: Any, level: int, message: str, ts: float) -> Any:
    return {
        "id": new_id(),
        "flow_run_id": run_id,
        "task_run_id": task_run_id,
        "name": "t",
        "level": level,
        "message": message,
        "timestamp": ts,
    }


def test_log_tail_filters_and_follows(database_url: str) -> None:
    db = get_database(database_url)
    run_id = seed_flow_run(database_url, tasks=3, failed_every=0)
    with db.begin_read() as conn:
        task = task_run_store.read_task_runs(conn)[0]
    base = time.time()
    lines = [_log(run_id, None, 20, f"line {i}", base + i) for i in range(10)]
    lines.append(_log(run_id, task.id, 40, "100% broken_thing", base + 20))
    with db.begin_write() as conn:
        logs.create_logs(conn, records=lines)
    with db.begin_read() as conn:
        tail = run_views.read_log_tail(conn, flow_run_id=run_id, limit=3)
        assert [row["message"] for row in tail] == ["line 8", "line 9", "100% broken_thing"]
        assert tail[-1]["task_name"] == task.name and tail[0]["task_name"] is None
        after = run_views.read_log_tail(conn, flow_run_id=run_id, after=base + 7.5, limit=2)
        assert [row["message"] for row in after] == ["line 8", "line 9"]
        errors = run_views.read_log_tail(conn, flow_run_id=run_id, level_ge=40)
        assert [row["message"] for row in errors] == ["100% broken_thing"]
        assert run_views.read_log_tail(conn, flow_run_id=run_id, text="100%")[0]["level"] == 40
        assert run_views.read_log_tail(conn, flow_run_id=run_id, text="1%") == []
        assert run_views.read_log_tail(conn, flow_run_id=run_id, text="line_8") == []
        assert run_views.read_log_tail(conn, task_run_id=task.id)[0]["level"] == 40
        assert run_views.count_logs(conn, flow_run_id=run_id, text="line") == 10
        with pytest.raises(ValueError):
            run_views.read_log_tail(conn)


def test_overview_names_what_the_run_belongs_to(database_url: str) -> None:
    db = get_database(database_url)
    deployment = apply(db)
    run = run_of(db, deployment.id)
    with db.begin_read() as conn:
        overview = run_views.read_flow_run_overview(conn, flow_run_id=run["id"])
        assert overview["flow_name"] == "etl" and overview["deployment_name"] == "nightly"
        assert overview["work_pool_name"] is None
        with pytest.raises(ObjectNotFound):
            run_views.read_flow_run_overview(conn, flow_run_id=new_id())


def _finish(db: Any, run_id: Any, make_state: Any) -> None:
    with db.begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Running(), force=True)
        flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=make_state(), force=True)


def test_retry_schedules_a_failed_deployment_run_for_its_worker(database_url: str) -> None:
    db = get_database(database_url)
    deployment = apply(db)
    run = run_of(db, deployment.id)
    _finish(db, run["id"], lambda: Failed(message="boom"))
    with db.begin_write() as conn:
        state = run_retry.retry_flow_run(conn, flow_run_id=run["id"])
    assert state.name == "AwaitingRetry" and state.type.value == "SCHEDULED"
    with db.begin_write() as conn:
        claimed = claims.claim_flow_runs(
            conn, worker_name="serve", limit=5, deployment_ids=[deployment.id]
        )
        history = [s.name for s in flow_runs.read_flow_run_states(conn, flow_run_id=run["id"])]
    assert claimed == [run["id"]], "a serve process for the deployment picks the retry up"
    assert history[-3:] == ["Failed", "AwaitingRetry", "Pending"]
    with db.begin_write() as conn, pytest.raises(run_retry.NotRetryable, match="Pending"):
        run_retry.retry_flow_run(conn, flow_run_id=run["id"])


def test_retry_refuses_completed_and_deploymentless_runs(database_url: str) -> None:
    db = get_database(database_url)
    deployment = apply(db)
    done = run_of(db, deployment.id)
    _finish(db, done["id"], Completed)
    with db.begin_write() as conn:
        plain = flow_runs.create_flow_run(
            conn, flow_run={"flow_name": "f", "name": "p"}, state=Running()
        )
    _finish(db, plain["id"], lambda: Failed(message="boom"))
    with db.begin_write() as conn:
        with pytest.raises(run_retry.NotRetryable, match="only a Failed, Crashed or Cancelled"):
            run_retry.retry_flow_run(conn, flow_run_id=done["id"])
        with pytest.raises(run_retry.NotRetryable, match="headwater flow-run retry"):
            run_retry.retry_flow_run(conn, flow_run_id=plain["id"])
        with pytest.raises(ObjectNotFound):
            run_retry.retry_flow_run(conn, flow_run_id=new_id())


def test_flow_run_label_and_task_run_names(database_url: str) -> None:
    run_id = seed_flow_run(database_url, tasks=5, task_names=2)
    db = get_database(database_url)
    with db.begin_read() as conn:
        label = run_views.read_flow_run_label(conn, flow_run_id=run_id)
        some = task_run_store.read_task_runs(conn, limit=3)
        names = run_views.read_task_run_names(
            conn, task_run_ids=[run.id for run in some] + [new_id()]
        )
        assert run_views.read_flow_run_label(conn, flow_run_id=new_id()) is None
        assert run_views.read_task_run_names(conn, task_run_ids=[]) == {}
    assert label == {"id": run_id, "name": "big-5", "flow_name": "big-etl"}
    assert names == {str(run.id): run.name for run in some}
