"""Prefect 1 schedules (``prefect.schedules``): each clock becomes a Headwater
deployment schedule when the flow is registered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from headwater.v1.schedules.clocks import Clock, CronClock, IntervalClock


class Schedule:
    """``Schedule(clocks=[IntervalClock(...), CronClock(...)])``: runs at every clock's
    times.  Filters and adjustments are not supported (docs/v1.md)."""

    def __init__(
        self,
        clocks: list[Clock],
        filters: Any = None,
        or_filters: Any = None,
        not_filters: Any = None,
        adjustments: Any = None,
    ) -> None:
        from headwater.v1.exceptions import V1NotSupported

        if filters or or_filters or not_filters or adjustments:
            raise V1NotSupported(
                "schedule filters and adjustments are not supported: use cron "
                "expressions that name the days you want"
            )
        self.clocks = list(clocks)

    def headwater_schedules(self) -> list[Any]:
        return [clock.headwater_schedule() for clock in self.clocks]


class IntervalSchedule(Schedule):
    """Every ``interval`` from ``start_date``."""

    def __init__(
        self, interval: dt.timedelta, start_date: dt.datetime | None = None, end_date: Any = None
    ) -> None:
        super().__init__(clocks=[IntervalClock(interval, start_date=start_date, end_date=end_date)])


class CronSchedule(Schedule):
    """At the times of a cron expression."""

    def __init__(
        self,
        cron: str,
        start_date: dt.datetime | None = None,
        end_date: Any = None,
        day_or: bool = True,
    ) -> None:
        super().__init__(
            clocks=[CronClock(cron, start_date=start_date, end_date=end_date, day_or=day_or)]
        )


__all__ = ["CronClock", "CronSchedule", "IntervalClock", "IntervalSchedule", "Schedule"]
