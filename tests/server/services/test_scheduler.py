"""The scheduler service: horizon, idempotency, missed runs, lateness, DST, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest

from headwater.schemas.filters import FlowRunFilter
from headwater.server.db.database import get_database, open_database
from headwater.server.services import scheduler
from headwater.server.store import flow_runs
from tests.deployment_helpers import apply, ts

UTC = dt.timezone.utc


def _runs(db, deployment_id):
    with db.begin_read() as conn:
        return flow_runs.read_flow_runs(
            conn,
            flow_run_filter=FlowRunFilter(deployment_ids=[deployment_id]),
            sort=None,
            limit=5000,
        )


def _times(runs, zone="UTC"):
    return sorted(
        r.expected_start_time.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") for r in runs
    )


def test_horizon_three_runs_at_least_one_hour_and_at_most_one_hundred(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_SERVICES_LOOP_SECONDS", "3600")  # an hour is no downtime
    db = get_database(database_url)
    now = ts(2024, 5, 1, 12, 0, 30)
    daily = apply(db, name="daily", schedules=[{"cron": "0 6 * * *"}])
    minutely = apply(db, name="minutely", schedules=[{"cron": "* * * * *"}])
    fast = apply(db, name="fast", schedules=[{"interval": 5}])
    report = scheduler.run_once(db, now)
    assert len(_runs(db, daily.id)) == 3
    assert len(_runs(db, minutely.id)) == 60  # an hour ahead
    assert len(_runs(db, fast.id)) == 100  # capped
    assert report.created == 163
    assert scheduler.run_once(db, now).created == 0
    # An hour later the horizon moves on; nothing is made twice.
    later = scheduler.run_once(db, now + 3600)
    assert later.created == 60 + 100  # the next hour of minutely runs, 100 more fast ones
    keys = [r.idempotency_key for r in _runs(db, minutely.id)]
    assert len(keys) == len(set(keys)) == 120


def test_scheduled_runs_carry_schedule_parameters(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db, schedules=[{"cron": "0 6 * * *", "parameters": {"name": "morning"}}])
    scheduler.run_once(db, ts(2024, 5, 1))
    runs = _runs(db, d.id)
    assert {r.state.name for r in runs} == {"Scheduled"}
    assert all(r.parameters == {"n": 1, "name": "morning"} and r.auto_scheduled for r in runs)
    assert all(r.idempotency_key.startswith(f"scheduled:{d.id}:") for r in runs)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("Europe/Paris", (2024, 3, 29), ["03-30 09:00", "03-31 09:00", "04-01 09:00"]),
        ("Europe/Paris", (2024, 10, 25), ["10-26 09:00", "10-27 09:00", "10-28 09:00"]),
        ("America/New_York", (2024, 3, 8), ["03-09 09:00", "03-10 09:00", "03-11 09:00"]),
        ("America/New_York", (2024, 11, 1), ["11-02 09:00", "11-03 09:00", "11-04 09:00"]),
    ],
)
def test_cron_across_dst_keeps_local_time(database_url: str, zone, day, expected) -> None:
    db = get_database(database_url)
    d = apply(db, schedules=[{"cron": "0 9 * * *", "timezone": zone}])
    scheduler.run_once(db, ts(*day, 20))
    runs = _runs(db, d.id)
    assert _times(runs, zone) == expected
    utc_hours = {r.expected_start_time.astimezone(UTC).hour for r in runs}
    assert len(utc_hours) == 2  # the UTC hour moves with the clock change


def test_skipped_hour_on_spring_forward_runs_once(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db, schedules=[{"cron": "30 2 * * *", "timezone": "America/New_York"}])
    scheduler.run_once(db, ts(2024, 3, 9, 12))
    assert _times(_runs(db, d.id), "America/New_York") == [
        "03-10 03:30",
        "03-11 02:30",
        "03-12 02:30",
    ]


def _with_gap(db, policy: str, **extra):
    d = apply(db, name=policy, schedules=[{"cron": "0 * * * *"}], missed_runs=policy, **extra)
    start = ts(2024, 5, 1, 0, 30)
    scheduler.run_once(db, start)  # 01:00, 02:00, 03:00 scheduled
    scheduler.run_once(db, start + ts(2024, 1, 1, 6) - ts(2024, 1, 1))  # down until 06:30
    return d


def _by_state(db, d):
    runs = _runs(db, d.id)
    due = [r for r in runs if r.expected_start_time.timestamp() <= ts(2024, 5, 1, 6, 30)]
    return sorted((r.expected_start_time.hour, r.state.name) for r in due)


def test_missed_runs_run_latest_keeps_only_the_newest(database_url: str) -> None:
    db = get_database(database_url)
    d = _with_gap(db, "run_latest")
    assert _by_state(db, d) == [
        (1, "Skipped"),
        (2, "Skipped"),
        (3, "Skipped"),
        (6, "Scheduled"),
    ]


def test_missed_runs_run_all_runs_every_missed_time(database_url: str) -> None:
    db = get_database(database_url)
    d = _with_gap(db, "run_all")
    assert _by_state(db, d) == [(h, "Scheduled") for h in range(1, 7)]


def test_missed_runs_skip_skips_them_all(database_url: str) -> None:
    db = get_database(database_url)
    d = _with_gap(db, "skip")
    assert _by_state(db, d) == [(1, "Skipped"), (2, "Skipped"), (3, "Skipped")]


def test_lateness_limit_skips_runs_that_are_too_late(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db, schedules=[{"cron": "0 * * * *"}], lateness_limit_seconds=600)
    scheduler.run_once(db, ts(2024, 5, 1, 0, 30))
    scheduler.run_once(db, ts(2024, 5, 1, 1, 5))  # 5 min late: kept
    scheduler.run_once(db, ts(2024, 5, 1, 1, 11))  # 11 min late: skipped
    states = {r.expected_start_time.hour: r.state.name for r in _runs(db, d.id)}
    assert states[1] == "Skipped" and states[2] == "Scheduled"


def test_paused_deployments_are_not_scheduled(database_url: str) -> None:
    db = get_database(database_url)
    d = apply(db, schedules=[{"cron": "0 * * * *"}], paused=True)
    assert scheduler.run_once(db, ts(2024, 5, 1)).deployments == 0
    assert _runs(db, d.id) == []


def test_two_schedulers_on_one_database_never_duplicate(database_url: str) -> None:
    """Two schedulers (separate engines and connections) over many ticks."""
    apply(get_database(database_url), name="a", schedules=[{"interval": 60}])
    apply(get_database(database_url), name="b", schedules=[{"cron": "*/5 * * * *"}])
    start = ts(2024, 5, 1)
    errors: list[BaseException] = []

    def tick(offset: float) -> None:
        db = open_database(database_url)
        try:
            for i in range(15):
                scheduler.run_once(db, start + i * 97 + offset)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=tick, args=(o,)) for o in (0.0, 0.5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = get_database(database_url)
    with db.begin_read() as conn:
        runs = flow_runs.read_flow_runs(conn, limit=10_000)
    keys = [r.idempotency_key for r in runs]
    assert len(keys) == len(set(keys))
    per_time = {(r.deployment_id, r.expected_start_time) for r in runs}
    assert len(per_time) == len(runs)
