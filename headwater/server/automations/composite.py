"""Evaluating ``CompoundTrigger`` and ``SequenceTrigger``: triggers made of triggers.

Each child is evaluated as it would be alone (``TriggerState`` for an event trigger,
these classes for a nested composite); what a composite looks at is its children's
firings.  A compound fires when ``require`` different children have fired within
``within`` seconds of each other; a sequence when its children have fired in their
order, the last within ``within`` seconds of the first.  Either then starts over.
A child's Proactive window still fires at its own deadline (``due``), so a
composite of "no heartbeat for 60 s" and "a flow run failed" works on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from headwater.schemas.automations import CompoundTrigger, EventTrigger, SequenceTrigger
from headwater.server.automations.triggers import Firing, TriggerState


class Evaluator(Protocol):
    def observe(self, row: Mapping[str, Any], now: float) -> list[Firing]: ...

    def next_deadline(self) -> float | None: ...

    def due(self, now: float) -> list[Firing]: ...


def trigger_state(trigger: Any, now: float) -> Evaluator:
    """The evaluator of any trigger."""
    if isinstance(trigger, CompoundTrigger):
        return CompoundState(trigger, now)
    if isinstance(trigger, SequenceTrigger):
        return SequenceState(trigger, now)
    assert isinstance(trigger, EventTrigger)
    return TriggerState(trigger, now)


def _merged(firings: list[Firing], last: Firing) -> Firing:
    labels: dict[str, str] = {}
    for firing in firings:
        labels.update(firing.labels)
    return Firing(last.event, len(firings), labels)


def _same_event(a: Firing, b: Firing) -> bool:
    return a.event is not None and b.event is not None and a.event["id"] == b.event["id"]


class _Composite:
    def __init__(self, trigger: CompoundTrigger | SequenceTrigger, now: float) -> None:
        self.within = trigger.within
        self.children = [trigger_state(child, now) for child in trigger.triggers]

    def _child_fired(self, index: int, firing: Firing, now: float) -> list[Firing]:
        raise NotImplementedError

    def _pass_on(self, found: list[list[Firing]], now: float) -> list[Firing]:
        out: list[Firing] = []
        for index, firings in enumerate(found):
            for firing in firings:
                out += self._child_fired(index, firing, now)
        return out

    def observe(self, row: Mapping[str, Any], now: float) -> list[Firing]:
        return self._pass_on([child.observe(row, now) for child in self.children], now)

    def due(self, now: float) -> list[Firing]:
        return self._pass_on([child.due(now) for child in self.children], now)

    def next_deadline(self) -> float | None:
        deadlines = [d for d in (c.next_deadline() for c in self.children) if d is not None]
        return min(deadlines) if deadlines else None


class CompoundState(_Composite):
    def __init__(self, trigger: CompoundTrigger, now: float) -> None:
        super().__init__(trigger, now)
        self.required = trigger.required()
        self.fired: dict[int, tuple[float, Firing]] = {}  # each child's latest firing

    def _child_fired(self, index: int, firing: Firing, now: float) -> list[Firing]:
        self.fired[index] = (now, firing)
        if self.within > 0:
            self.fired = {i: f for i, f in self.fired.items() if f[0] >= now - self.within}
        if len(self.fired) < self.required:
            return []
        firings = [f for _, f in sorted(self.fired.values(), key=lambda item: item[0])]
        self.fired = {}
        return [_merged(firings, firing)]


class SequenceState(_Composite):
    def __init__(self, trigger: SequenceTrigger, now: float) -> None:
        super().__init__(trigger, now)
        self.progress: list[tuple[float, Firing]] = []  # children 0..k-1 fired in order

    def _pass_on(self, found: list[list[Firing]], now: float) -> list[Firing]:
        """Later steps first, so one event that several steps expect moves the
        sequence one step, not all of them; an event that completed the sequence does
        not start the next one."""
        out: list[Firing] = []
        for index in reversed(range(len(found))):
            for firing in found[index]:
                if index == 0 and any(_same_event(done, firing) for done in out):
                    continue
                out += self._child_fired(index, firing, now)
        return out

    def _child_fired(self, index: int, firing: Firing, now: float) -> list[Firing]:
        if self.progress and self.within > 0 and now - self.progress[0][0] > self.within:
            self.progress = []  # too slow: start over
        if index == 0 and len(self.progress) <= 1:
            self.progress = [(now, firing)]  # (a newer) start of the sequence
        elif index == len(self.progress) and index > 0:
            if _same_event(self.progress[-1][1], firing):
                return []  # one event is not two steps of a sequence
            self.progress.append((now, firing))
        else:
            return []  # out of order: it does not count
        if len(self.progress) < len(self.children):
            return []
        firings = [f for _, f in self.progress]
        self.progress = []
        return [_merged(firings, firing)]
