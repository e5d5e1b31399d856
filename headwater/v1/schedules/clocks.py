"""Prefect 1 clocks: ``IntervalClock`` and ``CronClock`` (with per-clock
``parameter_defaults``)."""

from __future__ import annotations

import datetime as dt
from typing import Any


class Clock:
    def __init__(
        self,
        start_date: dt.datetime | None = None,
        end_date: Any = None,
        parameter_defaults: dict[str, Any] | None = None,
    ) -> None:
        from headwater.v1.exceptions import V1NotSupported

        if end_date is not None:
            raise V1NotSupported("clock end_date is not supported: pause the deployment instead")
        self.start_date = start_date
        self.parameter_defaults = dict(parameter_defaults or {})

    def _timezone(self) -> str:
        zone = getattr(self.start_date, "tzinfo", None)
        key = getattr(zone, "key", None) or getattr(zone, "zone", None)
        return str(key) if key else "UTC"

    def headwater_schedule(self) -> Any:
        raise NotImplementedError


class IntervalClock(Clock):
    """Every ``interval``, anchored at ``start_date``."""

    def __init__(
        self,
        interval: dt.timedelta,
        start_date: dt.datetime | None = None,
        end_date: Any = None,
        parameter_defaults: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(start_date, end_date, parameter_defaults)
        self.interval = interval

    def headwater_schedule(self) -> Any:
        from headwater.schedules import Interval

        return Interval(
            self.interval,
            anchor_date=self.start_date,
            timezone=self._timezone(),
            parameters=self.parameter_defaults or None,
        )


class CronClock(Clock):
    """At the times of ``cron`` (in ``start_date``'s time zone)."""

    def __init__(
        self,
        cron: str,
        start_date: dt.datetime | None = None,
        end_date: Any = None,
        parameter_defaults: dict[str, Any] | None = None,
        day_or: bool = True,
    ) -> None:
        super().__init__(start_date, end_date, parameter_defaults)
        self.cron = cron
        self.day_or = day_or

    def headwater_schedule(self) -> Any:
        from headwater.schedules import Cron

        return Cron(
            self.cron,
            timezone=self._timezone(),
            day_or=self.day_or,
            parameters=self.parameter_defaults or None,
        )
