"""Schedules: when a deployment's runs are due (``Cron``, ``Interval``, ``RRule``).

Times are computed in the schedule's IANA timezone and returned in UTC.  Across a
daylight-saving change a cron schedule behaves like cron itself:

- a local time skipped by the clock moving forward runs at the same wall time plus
  the gap (02:30 on a spring-forward night runs at 03:30 local);
- a local time that happens twice when the clock moves back runs once (the first
  time), except for schedules whose hour field is ``*``, which run in both hours so
  that "every hour" means every real hour.

An ``Interval`` of whole days keeps its wall-clock time across DST changes; shorter
intervals are exact durations.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.exceptions import InvalidOptionError

UTC = dt.timezone.utc

#: Never look further ahead than this when listing due times.
MAX_HORIZON = dt.timedelta(days=366 * 5)


def _zone(name: str, field: str = "timezone") -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise InvalidOptionError(f"{field} must be an IANA timezone name such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidOptionError(
            f"{field} {name!r} is not a known IANA timezone (e.g. 'UTC', 'America/New_York')"
        ) from None


def _aware(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _check_parameters(parameters: Any) -> dict[str, Any]:
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise InvalidOptionError("schedule parameters must be a dict of flow parameters")
    return dict(parameters)


class Schedule:
    """Base of the three schedule kinds: an active flag and per-schedule parameters."""

    kind = "schedule"

    def __init__(
        self, *, timezone: str = "UTC", active: bool = True, parameters: Any = None
    ) -> None:
        self.timezone = timezone or "UTC"
        self.zone = _zone(self.timezone)
        if not isinstance(active, bool):
            raise InvalidOptionError("schedule active must be True or False")
        self.active = active
        self.parameters = _check_parameters(parameters)

    def iter_times(self, after: dt.datetime) -> Iterator[dt.datetime]:
        """Due times strictly after ``after``, in order, as UTC datetimes."""
        raise NotImplementedError

    def next_times(
        self,
        after: dt.datetime,
        *,
        count: int | None = None,
        until: dt.datetime | None = None,
    ) -> list[dt.datetime]:
        """Up to ``count`` due times after ``after`` and not later than ``until``."""
        after = _aware(after, UTC)
        limit = until if until is not None else after + MAX_HORIZON
        limit = _aware(limit, UTC)
        out: list[dt.datetime] = []
        for when in self.iter_times(after):
            if when > limit or (count is not None and len(out) >= count):
                break
            out.append(when)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "timezone": self.timezone,
            "active": self.active,
            "parameters": self.parameters,
        }

    def describe(self) -> str:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items(), key=str)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r}, timezone={self.timezone!r})"


class Cron(Schedule):
    """``Cron("0 6 * * 1-5", timezone="Europe/Paris")``: standard five-field cron."""

    kind = "cron"

    def __init__(
        self,
        cron: str,
        *,
        timezone: str = "UTC",
        day_or: bool = True,
        active: bool = True,
        parameters: Any = None,
    ) -> None:
        super().__init__(timezone=timezone, active=active, parameters=parameters)
        from croniter import croniter

        if not isinstance(cron, str) or len(cron.split()) != 5:
            raise InvalidOptionError(
                f"cron {cron!r} must have five fields: minute hour day month weekday"
            )
        if not croniter.is_valid(cron):
            raise InvalidOptionError(f"cron {cron!r} is not a valid cron expression")
        self.cron = cron
        self.day_or = bool(day_or)
        self._every_hour = cron.split()[1] == "*"

    def iter_times(self, after: dt.datetime) -> Iterator[dt.datetime]:
        from croniter import croniter

        zone = self.zone
        # Walk naive local wall-clock times, then place each one on the real clock.
        aware_after = _aware(after, UTC)
        local_after = aware_after.astimezone(zone).replace(tzinfo=None)
        # Near a DST shift, start 3 h back to see the wall times it hides; elsewhere
        # (almost always) just before ``after``, so frequent crons stay cheap.
        window = dt.timedelta(hours=3)
        shift_near = (aware_after - window).astimezone(zone).utcoffset() != (
            aware_after + window
        ).astimezone(zone).utcoffset()
        start = local_after - (window if shift_near else dt.timedelta(minutes=1))
        walker = croniter(self.cron, start, day_or=self.day_or)
        # A repeated wall time gives two instants an hour apart; a heap releases
        # instants in order once no later wall time can produce an earlier one.
        pending: list[dt.datetime] = []
        last: dt.datetime | None = None
        while True:
            instants = self._place(walker.get_next(dt.datetime))
            for when in instants:
                heapq.heappush(pending, when)
            while pending and pending[0] <= instants[0]:
                when = heapq.heappop(pending)
                if when > after and (last is None or when > last):
                    last = when
                    yield when

    def _place(self, wall: dt.datetime) -> list[dt.datetime]:
        """The real instants of a local wall time (none skipped, see module doc)."""
        first = wall.replace(tzinfo=self.zone, fold=0)
        second = wall.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return [first.astimezone(UTC)]
        if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != wall:
            # Skipped by the clock moving forward: fold=0 reads it with the offset in
            # force before the change, which is the same wall time plus the gap.
            return [first.astimezone(UTC)]
        both = [first.astimezone(UTC), second.astimezone(UTC)]
        return both if self._every_hour else both[:1]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "cron": self.cron, "day_or": self.day_or}

    def describe(self) -> str:
        return f"cron {self.cron}"


class Interval(Schedule):
    """``Interval(timedelta(hours=1), anchor_date=..., timezone=...)`` or seconds."""

    kind = "interval"

    def __init__(
        self,
        interval: dt.timedelta | float | int,
        *,
        anchor_date: dt.datetime | None = None,
        timezone: str = "UTC",
        active: bool = True,
        parameters: Any = None,
    ) -> None:
        super().__init__(timezone=timezone, active=active, parameters=parameters)
        given = interval
        if isinstance(interval, (int, float)) and not isinstance(interval, bool):
            interval = dt.timedelta(seconds=interval)
        if not isinstance(interval, dt.timedelta) or interval.total_seconds() <= 0:
            raise InvalidOptionError(
                f"interval must be a positive timedelta or number of seconds, got {given!r}"
            )
        self.interval = interval
        anchor = anchor_date or dt.datetime(2020, 1, 1)
        if not isinstance(anchor, dt.datetime):
            raise InvalidOptionError(f"anchor_date must be a datetime, got {anchor!r}")
        self.anchor_date = _aware(anchor, self.zone)
        self._whole_days = interval.total_seconds() % 86400 == 0

    def iter_times(self, after: dt.datetime) -> Iterator[dt.datetime]:
        after = _aware(after, UTC)
        anchor = self.anchor_date
        if self._whole_days:
            days = int(self.interval.total_seconds() // 86400)
            local_anchor = anchor.astimezone(self.zone).replace(tzinfo=None)
            elapsed = (after.astimezone(self.zone).replace(tzinfo=None) - local_anchor).days
            step = max(0, elapsed // days - 1)
            while True:
                wall = local_anchor + dt.timedelta(days=step * days)
                when = wall.replace(tzinfo=self.zone).astimezone(UTC)
                if when > after:
                    yield when
                step += 1
        else:
            seconds = self.interval.total_seconds()
            elapsed_seconds = (after - anchor).total_seconds()
            step = max(0, int(elapsed_seconds // seconds))
            while True:
                when = (anchor + dt.timedelta(seconds=step * seconds)).astimezone(UTC)
                if when > after:
                    yield when
                step += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "interval": self.interval.total_seconds(),
            "anchor_date": self.anchor_date.isoformat(),
        }

    def describe(self) -> str:
        return f"every {self.interval}"


class RRule(Schedule):
    """``RRule("FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0", timezone=...)`` (RFC 5545)."""

    kind = "rrule"

    def __init__(
        self, rrule: str, *, timezone: str = "UTC", active: bool = True, parameters: Any = None
    ) -> None:
        super().__init__(timezone=timezone, active=active, parameters=parameters)
        from dateutil.rrule import rrulestr

        if not isinstance(rrule, str) or not rrule.strip():
            raise InvalidOptionError("rrule must be a non-empty RFC 5545 rule string")
        self.rrule = rrule.strip()
        try:
            rrulestr(self.rrule, dtstart=dt.datetime(2020, 1, 1), cache=False)
        except (ValueError, TypeError) as exc:
            raise InvalidOptionError(f"rrule {rrule!r} is not valid: {exc}") from None

    def iter_times(self, after: dt.datetime) -> Iterator[dt.datetime]:
        from dateutil.rrule import rrulestr

        after = _aware(after, UTC)
        local_after = after.astimezone(self.zone).replace(tzinfo=None)
        rule = rrulestr(self.rrule, dtstart=self._anchor(local_after), cache=False)
        probe = local_after - dt.timedelta(hours=3)
        try:
            wall = rule.after(probe)
        except TypeError:  # the rule carries its own timezone-aware DTSTART
            probe = probe.replace(tzinfo=self.zone)
            wall = rule.after(probe)
        last: dt.datetime | None = None
        while wall is not None:
            if wall.tzinfo is None:
                when = wall.replace(tzinfo=self.zone).astimezone(UTC)
            else:
                when = wall.astimezone(UTC)
            if when > after and (last is None or when > last):
                last = when
                yield when
            wall = rule.after(wall)

    def _anchor(self, local_after: dt.datetime) -> dt.datetime:
        """DTSTART when the rule gives none: midnight, 1 January 2020, local time,
        moved forward by whole periods of the rule so sub-daily rules stay cheap
        (the set of times is the same: only with COUNT does the start matter)."""
        anchor = dt.datetime(2020, 1, 1)
        fields = dict(part.split("=", 1) for part in self.rrule.upper().split(";") if "=" in part)
        unit = _PERIODS.get(fields.get("FREQ", "").split(":")[-1])
        if unit is None or "COUNT" in fields:
            return anchor
        period = unit * int(fields.get("INTERVAL", "1") or 1)
        periods = int((local_after - anchor).total_seconds() // period) - 2
        return anchor + dt.timedelta(seconds=max(0, periods) * period)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rrule": self.rrule}

    def describe(self) -> str:
        return f"rrule {self.rrule}"


def schedule_from_dict(data: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from ``to_dict()`` output (e.g. stored or in headwater.yaml)."""
    if not isinstance(data, dict):
        raise InvalidOptionError("a schedule must be a mapping with one of cron/interval/rrule")
    kind = data.get("type") or next((k for k in ("cron", "interval", "rrule") if k in data), None)
    common = {
        "timezone": data.get("timezone") or "UTC",
        "active": data.get("active", True),
        "parameters": data.get("parameters") or {},
    }
    if kind == "cron":
        return Cron(data["cron"], day_or=data.get("day_or", True), **common)
    if kind == "interval":
        anchor = data.get("anchor_date")
        if isinstance(anchor, str):
            anchor = dt.datetime.fromisoformat(anchor)
        return Interval(data["interval"], anchor_date=anchor, **common)
    if kind == "rrule":
        return RRule(data["rrule"], **common)
    raise InvalidOptionError(f"unknown schedule type {kind!r}: use one of cron, interval, rrule")


_PERIODS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 604800}

# Prefect 2 names for the same things.
CronSchedule = Cron
IntervalSchedule = Interval
RRuleSchedule = RRule
