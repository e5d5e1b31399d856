"""``check_record`` (the ingest path's per-event check) is ``Event.from_record(r)
.to_record()`` without the object: the same records, the same first error."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from headwater.core.events import Event, EventError, check_record

EVENT_ID = uuid.uuid4()

GOOD: list[dict[str, Any]] = [
    {
        "id": str(EVENT_ID),
        "occurred": 1.5,
        "event": "a.b",
        "resource": {"headwater.resource.id": "x"},
    },
    {
        "id": EVENT_ID,
        "occurred": 1_700_000_000.25,
        "event": "  prefect.flow-run.Completed ",
        "resource": {"prefect.resource.id": "prefect.flow-run.1", "n": 3},
        "related": [{"prefect.resource.id": "prefect.flow.2", "prefect.resource.role": "flow"}],
        "payload": {"k": [1, 2]},
        "follows": str(uuid.uuid4()),
    },
    {
        "id": str(EVENT_ID),
        "occurred": "2024-05-01T10:00:00Z",
        "event": "a",
        "resource": {"headwater.resource.id": "y"},
        "payload": None,
        "related": None,
    },
    {"id": str(EVENT_ID), "occurred": 5, "event": "a", "resource": {"headwater.resource.id": "z"}},
]

BAD: list[Any] = [
    {},
    {"event": "a"},
    {"event": " ", "resource": {"headwater.resource.id": "x"}},
    {"event": 3, "resource": {}},
    {"event": "a" * 1025, "resource": {"headwater.resource.id": "x"}},
    {"event": "a", "resource": {"other": "x"}},
    {"event": "a", "resource": ["x"]},
    {"event": "a", "resource": {1: "x"}},
    {"event": "a", "resource": {"headwater.resource.id": "x" * 1025}},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "related": [{"a": "b"}]},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "related": ["text"]},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "related": 5},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "payload": "text"},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "occurred": "soon"},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "occurred": [1]},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "occurred": float("nan")},
    {"event": "a", "resource": {"headwater.resource.id": "x"}, "id": "not-a-uuid"},
    {"event": "", "resource": {"headwater.resource.id": "x"}, "follows": "nope"},
]


@pytest.mark.parametrize("record", GOOD)
def test_same_record_as_the_event(record: dict[str, Any]) -> None:
    assert check_record(record) == Event.from_record(record).to_record()


def test_occurred_defaults_to_now_and_id_is_new() -> None:
    before = dt.datetime.now(dt.timezone.utc).timestamp()
    first = check_record({"event": "a", "resource": {"headwater.resource.id": "x"}})
    second = check_record({"event": "a", "resource": {"headwater.resource.id": "x"}})
    assert before <= first["occurred"] <= dt.datetime.now(dt.timezone.utc).timestamp()
    assert isinstance(first["id"], uuid.UUID) and first["id"] != second["id"]


def _error(fn: Any, record: Any) -> tuple[type, str]:
    with pytest.raises((EventError, KeyError, TypeError, ValueError)) as caught:
        fn(record)
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("record", BAD)
def test_same_error_as_the_event(record: Any) -> None:
    assert _error(check_record, record) == _error(Event.from_record, record)
