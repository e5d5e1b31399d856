"""The automation service's tail (events other processes wrote) keeps up with a busy
stream: more events in its look-back window than it reads in one pass do not hold it
back, and an event after them still fires its automation."""

from __future__ import annotations

import time
from typing import Any

from headwater.schemas.automations import AutomationCore
from headwater.server.automations import service as service_module
from headwater.server.automations.service import AutomationService
from headwater.server.db.database import get_database
from headwater.server.store import automations as store
from headwater.server.store import events as event_store


def _events(name: str, count: int) -> list[dict[str, Any]]:
    from headwater.core.events import check_record

    return [
        check_record({"event": name, "resource": {"headwater.resource.id": f"tail.{i}"}})
        for i in range(count)
    ]


def test_tail_reads_past_a_full_window(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        automation = store.create_automation(
            conn,
            automation=AutomationCore.model_validate(
                {
                    "name": "tail-fires",
                    "trigger": {"type": "event", "expect": ["tail.fire"]},
                    "actions": [{"type": "do-nothing"}],
                }
            ),
        )
    service = AutomationService(db)  # not started: no bus, as for another process's events
    service._tail_from = time.time() - 1
    with db.begin_write() as conn:  # one transaction: every filler has the same `received`
        event_store.record_events(conn, _events("tail.filler", service_module.TAIL_BATCH + 500))
    with db.begin_write() as conn:
        event_store.record_events(conn, _events("tail.fire", 1))
    for _ in range(3):  # a pass reads at most TAIL_BATCH unseen events
        service.run_once(time.time())
    with db.begin_read() as conn:
        actions = store.read_actions(conn, automation_id=automation.id)
    assert len(actions) == 1, actions
