"""Events in the store: published on the bus only after commit (never for a
rolled-back write); task-run events stored on request, published either way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from headwater.client.local import LocalClient
from headwater.schemas.events import EventFilter
from headwater.server.events import bus
from headwater.states import Pending, Running
from tests.client.conformance.records import new_run, task_record


@pytest.fixture
def published() -> Any:
    seen: list[dict[str, Any]] = []

    def collect(rows: Sequence[dict[str, Any]]) -> None:
        seen.extend(rows)

    unsubscribe = bus.subscribe(collect)
    yield seen
    unsubscribe()


def _task_events(client: LocalClient, flow_run_id: Any) -> list[str]:
    flt = EventFilter.model_validate(
        {
            "event": {"prefix": ["headwater.task-run."]},
            "related": {"id": [f"headwater.flow-run.{flow_run_id}"]},
        }
    )
    return sorted(e["event"] for e in client.read_events(flt).events)


def test_events_are_published_after_commit_only(database_url: str, published: Any) -> None:
    client = LocalClient(database_url)
    run = new_run(client, Pending())
    with pytest.raises(RuntimeError), client.db.begin_write() as conn:
        from headwater.server.store import flow_runs

        flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=Running())
        assert not [r for r in published if r["event"] == "headwater.flow-run.Running"]
        raise RuntimeError("roll back")
    assert not [r for r in published if r["event"] == "headwater.flow-run.Running"]
    rid = f"headwater.flow-run.{run['id']}"
    stored = client.read_events(EventFilter.model_validate({"resource": {"id": [rid]}}))
    assert [e["event"] for e in stored.events] == ["headwater.flow-run.Pending"]
    client.set_flow_run_state(run["id"], Running())
    assert [r["event"] for r in published if r["resource_id"] == rid][-1] == (
        "headwater.flow-run.Running"
    )


def test_task_run_events_are_published_not_stored_by_default(
    database_url: str, published: Any
) -> None:
    client = LocalClient(database_url)
    run = new_run(client)
    client.write_batch([task_record(run["id"])], [])
    assert [r["event"] for r in published if r["event"].startswith("headwater.task-run.")] == [
        "headwater.task-run.Completed"
    ]
    assert _task_events(client, run["id"]) == []


def test_task_run_events_stored_on_request_once_per_state(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_EVENTS_STORE_TASK_RUNS", "true")
    client = LocalClient(database_url)
    run = new_run(client)
    done = task_record(run["id"])
    failing = task_record(run["id"])
    failing.state_type, failing.state_name = "FAILED", "Failed"
    client.write_batch([done, failing], [])
    client.write_batch([done], [])  # retried: no second event
    assert _task_events(client, run["id"]) == [
        "headwater.task-run.Completed",
        "headwater.task-run.Failed",
    ]


def test_retention_deletes_old_events(database_url: str) -> None:
    import time

    from headwater.core.events import Event
    from headwater.server.services import event_retention

    client = LocalClient(database_url)
    old = Event(event="old.one", resource={"headwater.resource.id": "ret.1"}, occurred=1000.0)
    new = Event(event="new.one", resource={"headwater.resource.id": "ret.1"})
    client.emit_events([old.to_record(), new.to_record()])
    assert event_retention.run_once(client.db, time.time()) >= 1
    flt = EventFilter.model_validate({"resource": {"id": ["ret.1"]}})
    assert [e["event"] for e in client.read_events(flt).events] == ["new.one"]
