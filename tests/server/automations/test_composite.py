"""``CompoundTrigger`` and ``SequenceTrigger`` evaluated over event rows (the service's
evaluators, fed by hand with explicit times)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from headwater.automations import CompoundTrigger, EventTrigger, SequenceTrigger
from headwater.schemas.automations import AutomationCore
from headwater.server.automations.composite import trigger_state


def row(name: str, rid: str = "thing.1", **payload: Any) -> dict[str, Any]:
    return {
        "id": f"{name}-{rid}-{sorted(payload.items())}",
        "event": name,
        "resource": {"headwater.resource.id": rid},
        "related": [],
        "payload": payload,
    }


def on(name: str, **options: Any) -> EventTrigger:
    return EventTrigger(expect={name}, **options)


def fired(state: Any, name: str, now: float, **payload: Any) -> list[Any]:
    return state.observe(row(name, **payload), now)


def test_compound_all_fires_once_every_child_fired_then_starts_over() -> None:
    state = trigger_state(CompoundTrigger(triggers=[on("a"), on("b"), on("c")]), 0.0)
    assert fired(state, "a", 1) == []
    assert fired(state, "a", 2) == []  # the same child again: still one of three
    assert fired(state, "c", 3) == []
    [firing] = fired(state, "b", 4, k=7)
    assert firing.count == 3 and firing.event["payload"] == {"k": 7}
    assert fired(state, "a", 5) == [] and fired(state, "b", 6) == []  # started over


def test_compound_any_and_a_number() -> None:
    any_state = trigger_state(CompoundTrigger(require="any", triggers=[on("a"), on("b")]), 0)
    assert len(fired(any_state, "b", 1)) == 1
    two = trigger_state(CompoundTrigger(require=2, triggers=[on("a"), on("b"), on("c")]), 0)
    assert fired(two, "c", 1) == []
    assert len(fired(two, "a", 2)) == 1


def test_compound_within_drops_child_firings_that_are_too_old() -> None:
    state = trigger_state(CompoundTrigger(triggers=[on("a"), on("b")], within=10), 0)
    assert fired(state, "a", 0) == []
    assert fired(state, "b", 11) == []  # a is 11 s old: out of the window
    assert len(fired(state, "a", 15)) == 1  # b (11) and a (15) are 4 s apart


def test_sequence_fires_only_in_order() -> None:
    state = trigger_state(SequenceTrigger(triggers=[on("a"), on("b"), on("c")]), 0)
    assert fired(state, "b", 1) == []  # before a: does not count
    assert fired(state, "a", 2) == []
    assert fired(state, "c", 3) == []  # skips b: does not count
    assert fired(state, "b", 4) == []
    [firing] = fired(state, "c", 5, done=True)
    assert firing.count == 3 and firing.event["payload"] == {"done": True}
    assert fired(state, "c", 6) == []  # started over


def test_one_event_is_not_two_steps_of_a_sequence() -> None:
    state = trigger_state(SequenceTrigger(triggers=[on("failed"), on("failed")]), 0)
    assert fired(state, "failed", 1, n=1) == []
    [firing] = fired(state, "failed", 2, n=2)
    assert firing.count == 2 and firing.event["payload"] == {"n": 2}
    assert fired(state, "failed", 3, n=3) == []  # n=2 completed it: n=3 starts over
    assert len(fired(state, "failed", 4, n=4)) == 1


def test_an_event_both_steps_expect_moves_a_sequence_one_step() -> None:
    state = trigger_state(SequenceTrigger(triggers=[on("x"), on("x*")]), 0)
    assert fired(state, "x", 1, n=1) == []
    assert len(fired(state, "x", 2, n=2)) == 1


def test_sequence_within_starts_over_when_too_slow() -> None:
    state = trigger_state(SequenceTrigger(triggers=[on("a"), on("b")], within=5), 0)
    assert fired(state, "a", 0) == []
    assert fired(state, "b", 6) == []  # 6 s after a
    assert fired(state, "a", 10) == []
    assert len(fired(state, "b", 12)) == 1


def test_a_proactive_child_fires_the_compound_at_its_deadline() -> None:
    quiet = EventTrigger(expect={"heartbeat"}, posture="Proactive", within=30)
    state = trigger_state(CompoundTrigger(triggers=[on("failed"), quiet]), 0)
    assert fired(state, "failed", 5) == []
    assert state.next_deadline() == 30
    assert state.due(29) == []
    [firing] = state.due(30)
    assert firing.count == 2


def test_nested_composites_and_a_trigger_without_a_type_is_an_event_trigger() -> None:
    core = AutomationCore.model_validate(
        {
            "name": "nested",
            "trigger": {
                "type": "sequence",
                "triggers": [
                    {"expect": ["a"]},
                    {"type": "compound", "require": "any", "triggers": [{"expect": ["b"]}]},
                ],
            },
        }
    )
    state = trigger_state(core.trigger, 0)
    assert fired(state, "a", 1) == []
    assert len(fired(state, "b", 2)) == 1


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"type": "compound", "require": 3, "triggers": [{"expect": ["a"]}]}, "from 1 to 1"),
        ({"type": "compound", "triggers": []}, "at least 1 item"),
        ({"type": "sequence", "triggers": [{"expect": ["a"], "nope": 1}]}, "Extra inputs"),
        ({"type": "bogus"}, "does not match any of the expected tags"),
    ],
)
def test_bad_composites_are_refused(trigger: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AutomationCore.model_validate({"name": "bad", "trigger": trigger})
