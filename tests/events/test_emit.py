"""``emit_event`` from user code goes through the run's writer to the store; the
CLI lists, follows and emits events."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task
from headwater.client.local import LocalClient
from headwater.client.writer import flush_all
from headwater.events import Event, emit_event
from headwater.exceptions import EventError
from headwater.schemas.events import EventFilter


def _events(url: str, resource_id: str) -> list[dict[str, Any]]:
    flt = EventFilter.model_validate({"any_resource": {"id": [resource_id]}, "order": "ASC"})
    with LocalClient(url) as client:
        return client.read_events(flt, limit=100).events


def test_emit_event_inside_a_flow_is_stored_with_the_run(database_url: str) -> None:
    @task
    def pay(order: int) -> Event:
        return emit_event(
            "shop.order.paid",
            resource={"prefect.resource.id": f"shop.order.{order}"},
            payload={"order": order},
        )

    @flow
    def checkout() -> list[Event]:
        return [pay(i) for i in range(3)]

    emitted = checkout()
    flush_all()
    stored = _events(database_url, "shop.order.1")
    assert [e["event"] for e in stored] == ["shop.order.paid"]
    assert stored[0]["id"] == str(emitted[1].id)
    assert stored[0]["payload"] == {"order": 1}


def test_emit_event_outside_a_flow(database_url: str) -> None:
    event = emit_event("hello.world", resource={"headwater.resource.id": "greeter.1"})
    flush_all()
    assert [e["id"] for e in _events(database_url, "greeter.1")] == [str(event.id)]


def test_a_bad_event_is_refused_at_once() -> None:
    with pytest.raises(EventError, match=r"resource\.id"):
        emit_event("x.y", resource={"name": "no id"})
    with pytest.raises(EventError, match="role"):
        emit_event(
            "x.y", resource={"headwater.resource.id": "a"}, related=[{"headwater.resource.id": "b"}]
        )
