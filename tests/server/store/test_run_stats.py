"""The dashboard's aggregates (store/run_stats.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from headwater.schemas.work_pools import WorkPoolCreate
from headwater.server.db.database import get_database
from headwater.server.store import flow_runs, run_stats, work_pools
from headwater.states import Completed, Crashed, Failed, Late, Pending, Running, Scheduled

UTC = dt.timezone.utc


def _run(url: str, name: str, due: float, *states: Any, flow: str = "etl") -> Any:
    with get_database(url).begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn,
            flow_run={"flow_name": flow, "name": name, "expected_start_time": due},  # type: ignore[typeddict-item]
            state=Pending(),
        )
        for state in states:
            flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=state, force=True)
    return run["id"]


def test_histogram_buckets_runs_by_due_time_and_state(database_url: str) -> None:
    now = time.time()
    since = now - 3600
    _run(database_url, "a", since + 10, Running(), Completed())  # bucket 0
    _run(database_url, "b", since + 20, Running(), Failed(message="x"))  # bucket 0
    _run(database_url, "c", since + 1900, Running())  # bucket 6 of 12 (300 s each)
    _run(database_url, "d", now - 1)  # last bucket, pending
    _run(database_url, "old", since - 60, Running(), Completed())  # before the window
    with get_database(database_url).begin_read() as conn:
        buckets = run_stats.run_histogram(conn, since=since, until=now, buckets=12)
    assert len(buckets) == 12
    assert buckets[0].counts == {"COMPLETED": 1, "FAILED": 1}
    assert buckets[6].counts == {"RUNNING": 1}
    assert buckets[11].counts == {"PENDING": 1}
    assert sum(b.total for b in buckets) == 4
    assert buckets[0].start == pytest.approx(since) and buckets[-1].end == pytest.approx(now)
    with pytest.raises(ValueError), get_database(database_url).begin_read() as conn:
        run_stats.run_histogram(conn, since=now, until=now, buckets=12)


def test_recent_failures_are_failed_or_crashed_in_the_window_latest_first(
    database_url: str,
) -> None:
    now = time.time()
    first = _run(database_url, "f1", now - 500, Running(), Failed(message="boom"))
    second = _run(database_url, "f2", now - 100, Running(), Crashed(message="gone"))
    _run(database_url, "ok", now - 50, Running(), Completed())
    _run(database_url, "old", now - 90_000, Running(), Failed(message="old"))
    with get_database(database_url).begin_read() as conn:
        failures = run_stats.recent_failures(conn, since=now - 3600)
    assert [f["id"] for f in failures] == [second, first]
    assert failures[0]["flow_name"] == "etl" and failures[0]["state_message"] == "gone"


def test_late_runs_are_named_late_or_overdue_scheduled(database_url: str) -> None:
    now = time.time()
    when = dt.datetime.fromtimestamp(now - 600, UTC)
    named = _run(database_url, "named", now - 600, Late(when))
    overdue = _run(
        database_url, "overdue", now - 300, Scheduled(dt.datetime.fromtimestamp(now - 300, UTC))
    )
    _run(database_url, "soon", now - 5, Scheduled(dt.datetime.fromtimestamp(now - 5, UTC)))
    _run(database_url, "future", now + 600, Scheduled(dt.datetime.fromtimestamp(now + 600, UTC)))
    _run(database_url, "ran", now - 900, Running())
    with get_database(database_url).begin_read() as conn:
        late, total = run_stats.late_runs(conn, now=now, late_after=60, limit=1)
    assert total == 2
    assert [r["id"] for r in late] == [named]  # the most overdue first, up to the limit
    with get_database(database_url).begin_read() as conn:
        late, total = run_stats.late_runs(conn, now=now, late_after=60)
    assert [r["id"] for r in late] == [named, overdue]


def test_work_pool_health_counts_online_and_offline_workers(database_url: str) -> None:
    now = time.time()
    db = get_database(database_url)
    with db.begin_write() as conn:
        work_pools.create_work_pool(conn, pool=WorkPoolCreate(name="busy", type="process"))
        work_pools.create_work_pool(conn, pool=WorkPoolCreate(name="empty", type="process"))
        pool_id = work_pools.pool_id_by_name(conn, "busy")
        for name, seen in (("w1", now - 5), ("w2", now - 10), ("w3", now - 3600)):
            work_pools.worker_heartbeat(
                conn,
                pool_id=pool_id,
                name=name,
                hostname="h",
                pid=1,
                heartbeat_seconds=30.0,
                now=seen,
            )
    with db.begin_read() as conn:
        health = {p.name: p for p in run_stats.work_pool_health(conn, now=now)}
    assert (health["busy"].online, health["busy"].offline) == (2, 1)
    assert health["busy"].last_heartbeat == pytest.approx(now - 5)
    assert (health["empty"].online, health["empty"].offline) == (0, 0)
    assert health["empty"].last_heartbeat is None


def test_choices_and_states_for_the_runs_list(database_url: str) -> None:
    now = time.time()
    a = _run(database_url, "a", now, Running(), flow="alpha")
    _run(database_url, "b", now, flow="beta")
    with get_database(database_url).begin_read() as conn:
        assert run_stats.flow_names(conn) == ["alpha", "beta"]
        assert run_stats.deployment_names(conn) == {}
        assert run_stats.run_states(conn, flow_run_ids=[a]) == {a: ("RUNNING", "Running")}
        assert run_stats.run_states(conn, flow_run_ids=[]) == {}
        # the capped count stops at cap + 1
        assert flow_runs.count_flow_runs(conn, cap=1) == 2
        assert flow_runs.count_flow_runs(conn, cap=10) == 2
