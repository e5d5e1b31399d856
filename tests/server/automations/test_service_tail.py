"""The automation service's tail (events other processes wrote) keeps up with a busy
stream: more events in its look-back window than it reads in one pass do not hold it
back, and an event after them still fires its automation.  Each event is judged once
(from the bus and the tail alike), and the ids it remembers are forgotten bit by bit
once no longer needed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater.schemas.automations import AutomationCore
from headwater.server.automations import service as service_module
from headwater.server.automations.service import AutomationService
from headwater.server.db.database import get_database
from headwater.server.events import bus
from headwater.server.store import automations as store
from headwater.server.store import events as event_store


def _events(name: str, count: int) -> list[dict[str, Any]]:
    from headwater.core.events import check_record

    return [
        check_record({"event": name, "resource": {"headwater.resource.id": f"tail.{i}"}})
        for i in range(count)
    ]


def _automation(db: Any, name: str, expect: str) -> Any:
    with db.begin_write() as conn:
        return store.create_automation(
            conn,
            automation=AutomationCore.model_validate(
                {
                    "name": name,
                    "trigger": {"type": "event", "expect": [expect]},
                    "actions": [{"type": "do-nothing"}],
                }
            ),
        )


def _actions(db: Any, automation: Any) -> list[Any]:
    with db.begin_read() as conn:
        return list(store.read_actions(conn, automation_id=automation.id))


def test_tail_reads_past_a_full_window(database_url: str) -> None:
    db = get_database(database_url)
    automation = _automation(db, "tail-fires", "tail.fire")
    service = AutomationService(db)  # not started: no bus, as for another process's events
    service._tail_from = time.time() - 1
    with db.begin_write() as conn:  # one transaction: every filler has the same `received`
        event_store.record_events(conn, _events("tail.filler", service_module.TAIL_BATCH + 500))
    with db.begin_write() as conn:
        event_store.record_events(conn, _events("tail.fire", 1))
    for _ in range(3):  # a pass reads at most TAIL_BATCH unseen events
        service.run_once(time.time())
    actions = _actions(db, automation)
    assert len(actions) == 1, actions


def test_an_event_is_judged_once_while_the_tail_can_still_read_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events reach the service by the bus and again by the tail; their ids are kept
    while the tail's window covers them, however short ``SEEN_SECONDS`` (the service
    forgot them after ``SEEN_SECONDS`` and judged them again)."""
    monkeypatch.setattr(service_module, "SEEN_SECONDS", 0.0)
    db = get_database(database_url)
    automation = _automation(db, "judged-once", "once.fire")
    service = AutomationService(db)
    service._tail_from = time.time() - 1
    unsubscribe = bus.subscribe(service._deliver)  # this process's commits, as when started
    try:
        with db.begin_write() as conn:
            event_store.record_events(conn, _events("once.fire", 3))
        start = time.time()
        for i in range(4):  # later and later passes: judged "long ago"
            service.run_once(start + i)
    finally:
        unsubscribe()
    assert len(_actions(db, automation)) == 3


def test_remembered_ids_are_forgotten_bit_by_bit(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 10,000 remembered ids, a pass does not rebuild the set (it did, every
    pass); once the window has passed them they are forgotten."""
    monkeypatch.setattr(service_module, "SEEN_SECONDS", 0.0)
    monkeypatch.setattr(service_module, "LOOKBACK_SECONDS", 0.2)
    monkeypatch.setattr(service_module, "TAIL_SECONDS", 0.0)  # every pass reads the tail
    db = get_database(database_url)
    service = AutomationService(db)
    service._tail_from = time.time() - 0.1
    with db.begin_write() as conn:
        event_store.record_events(conn, _events("bit.filler", 12_000))
    seen = service._seen
    for _ in range(4):
        service.run_once(time.time())
        assert service._seen is seen  # no rebuild
    assert len(seen) == 12_000
    time.sleep(0.5)  # the window moves past the fillers with the next event
    with db.begin_write() as conn:
        event_store.record_events(conn, _events("bit.next", 1))
    service.run_once(time.time())
    service.run_once(time.time())
    assert service._seen is seen
    assert len(seen) == 1
