"""Cron, Interval and RRule schedules, including daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from headwater.exceptions import InvalidOptionError
from headwater.schedules import Cron, Interval, RRule, schedule_from_dict

UTC = dt.timezone.utc


def _local(schedule: object, after: dt.datetime, count: int) -> list[str]:
    times = schedule.next_times(after, count=count)  # type: ignore[attr-defined]
    zone = schedule.zone  # type: ignore[attr-defined]
    return [t.astimezone(zone).strftime("%m-%d %H:%M%z") for t in times]


def test_cron_in_paris_keeps_wall_time_across_both_changes() -> None:
    morning = Cron("0 9 * * *", timezone="Europe/Paris")
    assert _local(morning, dt.datetime(2024, 3, 30, 12, tzinfo=UTC), 2) == [
        "03-31 09:00+0200",
        "04-01 09:00+0200",
    ]
    assert _local(morning, dt.datetime(2024, 10, 26, 12, tzinfo=UTC), 2) == [
        "10-27 09:00+0100",
        "10-28 09:00+0100",
    ]


def test_cron_time_skipped_by_spring_forward_runs_after_the_gap() -> None:
    night = Cron("30 2 * * *", timezone="America/New_York")
    assert _local(night, dt.datetime(2024, 3, 9, 12, tzinfo=UTC), 2) == [
        "03-10 03:30-0400",
        "03-11 02:30-0400",
    ]
    paris = Cron("30 2 * * *", timezone="Europe/Paris")
    assert _local(paris, dt.datetime(2024, 3, 30, 12, tzinfo=UTC), 1) == ["03-31 03:30+0200"]


def test_cron_time_repeated_by_fall_back_runs_once_but_hourly_runs_every_hour() -> None:
    once = Cron("30 1 * * *", timezone="America/New_York")
    assert _local(once, dt.datetime(2024, 11, 2, 12, tzinfo=UTC), 2) == [
        "11-03 01:30-0400",
        "11-04 01:30-0500",
    ]
    hourly = Cron("0 * * * *", timezone="America/New_York")
    times = hourly.next_times(dt.datetime(2024, 11, 3, 4, 30, tzinfo=UTC), count=3)
    assert [t.hour for t in times] == [5, 6, 7]  # 01:00 EDT, 01:00 EST, 02:00 EST
    paris_hourly = Cron("15 * * * *", timezone="Europe/Paris")
    times = paris_hourly.next_times(dt.datetime(2024, 10, 26, 23, 30, tzinfo=UTC), count=4)
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [3600] * 3


def test_cron_outputs_are_strictly_increasing_over_a_year() -> None:
    every_30 = Cron("*/30 * * * *", timezone="America/New_York")
    times = every_30.next_times(dt.datetime(2024, 1, 1, tzinfo=UTC), count=17600)
    assert times[-1] > dt.datetime(2024, 12, 1, tzinfo=UTC)  # through both changes
    gaps = {b - a for a, b in itertools.pairwise(times)}
    assert gaps == {dt.timedelta(minutes=30)}


def test_interval_schedules() -> None:
    daily = Interval(
        dt.timedelta(days=1), anchor_date=dt.datetime(2024, 1, 1, 9), timezone="Europe/Paris"
    )
    assert _local(daily, dt.datetime(2024, 3, 30, 12, tzinfo=UTC), 2) == [
        "03-31 09:00+0200",
        "04-01 09:00+0200",
    ]
    every_90 = Interval(5400, anchor_date=dt.datetime(2024, 1, 1, tzinfo=UTC))
    times = every_90.next_times(dt.datetime(2024, 1, 1, 2, tzinfo=UTC), count=2)
    assert [t.strftime("%H:%M") for t in times] == ["03:00", "04:30"]
    assert every_90.next_times(times[0], until=times[0] + dt.timedelta(hours=3)) == [
        times[1],
        times[1] + dt.timedelta(minutes=90),
    ]


def test_rrule_schedules() -> None:
    weekly = RRule(
        "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0;BYSECOND=0", timezone="America/New_York"
    )
    assert _local(weekly, dt.datetime(2024, 3, 8, tzinfo=UTC), 3) == [
        "03-11 09:00-0400",
        "03-13 09:00-0400",
        "03-18 09:00-0400",
    ]
    frequent = RRule("FREQ=MINUTELY;INTERVAL=5")
    times = frequent.next_times(dt.datetime(2026, 3, 8, 0, 1, tzinfo=UTC), count=2)
    assert [t.strftime("%H:%M") for t in times] == ["00:05", "00:10"]


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: Cron("61 * * * *"), "not a valid cron"),
        (lambda: Cron("* * *"), "five fields"),
        (lambda: Cron("0 0 * * *", timezone="Mars/Base"), "IANA timezone"),
        (lambda: RRule("FREQ=SOMETIMES"), "rrule"),
        (lambda: Interval(-5), "positive"),
        (lambda: Cron("0 0 * * *", parameters=[1]), "parameters"),
        (lambda: schedule_from_dict({"type": "weekly"}), "unknown schedule type"),
    ],
)
def test_invalid_schedules_name_the_field(build: object, fragment: str) -> None:
    with pytest.raises(InvalidOptionError, match=fragment):
        build()  # type: ignore[operator]


def test_round_trip_through_dicts() -> None:
    for schedule in (
        Cron("0 6 * * 1-5", timezone="Europe/Paris", parameters={"x": 1}),
        Interval(3600, anchor_date=dt.datetime(2024, 1, 1, tzinfo=UTC), active=False),
        RRule("FREQ=DAILY;BYHOUR=3", timezone="UTC"),
    ):
        assert schedule_from_dict(schedule.to_dict()) == schedule
