"""Events: user events stored and filtered; a state change emits its event after
commit; events go through ``write_batch`` too."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from headwater.client.protocol import Client
from headwater.core.events import Event, EventError
from headwater.schemas.events import EventFilter
from headwater.states import Completed, Failed, Pending, Running
from tests.client.conformance.records import new_run, unique


def _resource_filter(resource_id: str, **more: object) -> EventFilter:
    return EventFilter.model_validate({"any_resource": {"id": [resource_id]}, **more})


class EventsContract:
    def test_emit_and_filter_events(self, client: Client) -> None:
        order = unique("shop.order")
        start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
        paid = Event(
            event="shop.order.paid",
            resource={"prefect.resource.id": order, "prefect.resource.name": "an order"},
            related=[{"prefect.resource.id": "shop.customer.7", "prefect.resource.role": "buyer"}],
            payload={"amount": 12.5},
        )
        shipped = Event(event="shop.order.shipped", resource={"headwater.resource.id": order})
        client.emit_events([paid.to_record(), shipped.to_record()])
        client.emit_events([paid.to_record()])  # the same id again: stored once
        page = client.read_events(_resource_filter(order), limit=10)
        assert page.total == 2
        assert [e["event"] for e in page.events] == ["shop.order.shipped", "shop.order.paid"]
        got = page.events[1]
        assert got["resource"]["headwater.resource.name"] == "an order"  # prefect. → ours
        assert got["related"][0]["headwater.resource.role"] == "buyer"
        assert got["payload"] == {"amount": 12.5}
        assert got["id"] == str(paid.id)
        by_name = EventFilter.model_validate(
            {
                "event": {"prefix": ["shop.order.pa"]},
                "resource": {"id": [order]},
                "occurred": {"since": start.isoformat()},
                "order": "ASC",
            }
        )
        assert [e["event"] for e in client.read_events(by_name).events] == ["shop.order.paid"]
        related = EventFilter.model_validate(
            {"related": {"id": ["shop.customer.7"], "role": ["buyer"]}, "resource": {"id": [order]}}
        )
        assert client.read_events(related).total == 1
        with pytest.raises(EventError):
            client.emit_events([{"event": "x", "resource": {"name": "no id"}}])

    def test_flow_run_state_changes_emit_events(self, client: Client) -> None:
        tag = unique("evt-tag")
        run = new_run(client, Pending(), tags=[tag])
        run_id = run["id"]
        client.set_flow_run_state(run_id, Running())
        client.set_flow_run_state(run_id, Failed(message="boom"))
        rid = f"headwater.flow-run.{run_id}"
        page = client.read_events(_resource_filter(rid, order="ASC"), limit=10)
        names = [e["event"] for e in page.events]
        assert names == [
            "headwater.flow-run.Pending",
            "headwater.flow-run.Running",
            "headwater.flow-run.Failed",
        ]
        failed = page.events[-1]
        assert failed["resource"]["headwater.state-type"] == "FAILED"
        assert failed["resource"]["headwater.state-message"] == "boom"
        assert failed["payload"]["intended"] == {"from": "RUNNING", "to": "FAILED"}
        roles = {r["headwater.resource.role"]: r for r in failed["related"]}
        assert roles["tag"]["headwater.resource.id"] == f"headwater.tag.{tag}"
        assert roles["flow"]["headwater.resource.name"] == run["flow_name"]
        # Prefect's names find them too.
        alias = EventFilter.model_validate(
            {"event": {"name": ["prefect.flow-run.Failed"]}, "resource": {"id": [rid]}}
        )
        assert client.read_events(alias).total == 1

    def test_events_go_through_write_batch(self, client: Client) -> None:
        rid = unique("batch.thing")
        records = [
            Event(event="batch.thing.seen", resource={"headwater.resource.id": rid}).to_record()
            for _ in range(3)
        ]
        client.write_batch([], [], events=records)
        assert client.read_events(_resource_filter(rid)).total == 3

    def test_completed_state_event_has_no_message_label(self, client: Client) -> None:
        run = new_run(client)
        client.set_flow_run_state(run["id"], Running())
        client.set_flow_run_state(run["id"], Completed())
        rid = f"headwater.flow-run.{run['id']}"
        [done] = client.read_events(
            EventFilter.model_validate(
                {"event": {"name": ["headwater.flow-run.Completed"]}, "resource": {"id": [rid]}}
            )
        ).events
        assert "headwater.state-message" not in done["resource"]
        assert uuid.UUID(done["id"])
