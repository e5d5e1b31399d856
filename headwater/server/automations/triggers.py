"""Evaluating an ``EventTrigger`` over events, one bucket per ``for_each`` key.

Reactive: a bucket counts expected events (within the last ``within`` seconds, if
set); reaching ``threshold`` fires and empties it.  With ``after`` events, a bucket
counts only once an ``after`` event opened it.  Proactive: a bucket opens on an
``after`` event (with no ``after``: at once, and again after each window); if fewer
than ``threshold`` expected events arrive before ``within`` has passed, it fires at
that deadline (``due``), whether or not any other event arrives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from headwater.schemas.automations import EventTrigger

ID = "headwater.resource.id"
ROLE = "headwater.resource.role"


def name_matches(name: str, patterns: set[str]) -> bool:
    """No patterns: any name.  ``x.*`` (or any ``*`` ending) matches by prefix."""
    if not patterns:
        return True
    for pattern in patterns:
        if pattern == name or pattern == "*":
            return True
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
    return False


def labels_match(labels: Mapping[str, str], spec: Mapping[str, Any]) -> bool:
    for key, wanted in spec.items():
        value = labels.get(key)
        if value is None:
            return False
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(
            option == value
            or option == "*"
            or (option.endswith("*") and value.startswith(option[:-1]))
            for option in options
        ):
            return False
    return True


def event_matches_resources(trigger: EventTrigger, row: Mapping[str, Any]) -> bool:
    if trigger.match and not labels_match(row["resource"], trigger.match):
        return False
    specs = trigger.match_related
    if not specs:
        return True
    for spec in specs if isinstance(specs, list) else [specs]:
        if spec and not any(labels_match(r, spec) for r in row["related"]):
            return False
    return True


class Bucket:
    __slots__ = ("count", "event", "opened", "times")

    def __init__(self, opened: float, event: Mapping[str, Any] | None) -> None:
        self.opened = opened
        self.event = event  # the event that opened it (Proactive), or the last counted
        self.count = 0
        self.times: deque[float] = deque()


class Firing:
    """A trigger that fired: the event that caused it (None for a Proactive window
    opened at start), how many events it counted, and its bucket's labels."""

    __slots__ = ("count", "event", "labels")

    def __init__(self, event: Mapping[str, Any] | None, count: int, labels: dict[str, str]) -> None:
        self.event = event
        self.count = count
        self.labels = labels


class TriggerState:
    def __init__(self, trigger: EventTrigger, now: float) -> None:
        self.trigger = trigger
        self.buckets: dict[tuple[str, ...], Bucket] = {}
        self.labels: dict[tuple[str, ...], dict[str, str]] = {}
        if trigger.posture == "Proactive" and not trigger.after and not trigger.for_each:
            self.buckets[()] = Bucket(now, None)
            self.labels[()] = {}

    def _key(self, row: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
        if not self.trigger.for_each:
            return (), {}
        labels = {name: row["resource"].get(name, "") for name in sorted(self.trigger.for_each)}
        return tuple(labels.values()), labels

    def _counts(self, name: str) -> bool:
        expect = self.trigger.expect
        if name.startswith("headwater.automation.") and not any(
            p.startswith("headwater.automation.") for p in expect
        ):
            return False  # an automation's own events feed only triggers that name them
        return name_matches(name, expect)

    def observe(self, row: Mapping[str, Any], now: float) -> list[Firing]:
        trigger = self.trigger
        name = row["event"]
        opens = bool(trigger.after) and name_matches(name, trigger.after)
        counts = self._counts(name)
        if not (opens or counts) or not event_matches_resources(trigger, row):
            return []
        key, labels = self._key(row)
        bucket = self.buckets.get(key)
        if trigger.posture == "Proactive":
            if opens and bucket is None:
                self.buckets[key] = Bucket(now, row)
                self.labels[key] = labels
                return []
            if counts and bucket is None and not trigger.after:
                bucket = self.buckets[key] = Bucket(now, row)
                self.labels[key] = labels
            if counts and bucket is not None:
                bucket.count += 1
                if bucket.count >= trigger.threshold:  # satisfied: nothing to do
                    self._reopen(key, now)
            return []
        # Reactive
        if trigger.after:
            if opens and bucket is None:
                self.buckets[key] = Bucket(now, row)
                self.labels[key] = labels
                if not counts:
                    return []
                bucket = self.buckets[key]
            if bucket is None:
                return []
        elif bucket is None:
            bucket = self.buckets[key] = Bucket(now, row)
            self.labels[key] = labels
        if not counts:
            return []
        bucket.event = row
        if trigger.within > 0:
            bucket.times.append(now)
            while bucket.times and bucket.times[0] < now - trigger.within:
                bucket.times.popleft()
            bucket.count = len(bucket.times)
        else:
            bucket.count += 1
        if bucket.count >= trigger.threshold:
            count = bucket.count
            del self.buckets[key]
            return [Firing(row, count, self.labels.pop(key, labels))]
        return []

    def _reopen(self, key: tuple[str, ...], now: float) -> None:
        if self.trigger.after or self.trigger.for_each:
            self.buckets.pop(key, None)
            self.labels.pop(key, None)
        else:
            self.buckets[key] = Bucket(now, None)

    def next_deadline(self) -> float | None:
        if self.trigger.posture != "Proactive" or not self.buckets:
            return None
        return min(b.opened for b in self.buckets.values()) + self.trigger.within

    def due(self, now: float) -> list[Firing]:
        """Proactive windows that ended short of ``threshold``: they fire now."""
        if self.trigger.posture != "Proactive":
            return []
        fired = []
        for key, bucket in list(self.buckets.items()):
            if bucket.opened + self.trigger.within <= now:
                if bucket.count < self.trigger.threshold:
                    fired.append(Firing(bucket.event, bucket.count, self.labels.get(key, {})))
                self._reopen(key, now)
        return fired
