"""What the UI's automation and notification forms pick from, and the event feed's
keyset pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid

from headwater.schemas.automations import AutomationCore, EventTrigger
from headwater.schemas.deployments import DeploymentCreate
from headwater.schemas.events import EventFilter
from headwater.schemas.work_pools import WorkPoolCreate, WorkQueueCreate
from headwater.server.db.database import get_database
from headwater.server.store import automations, choices, deployments, events, work_pools


def test_choices_and_last_fired(database_url: str) -> None:
    db = get_database(database_url)
    tag = uuid.uuid4().hex[:6]
    with db.begin_write() as conn:
        deployments.apply_deployment(
            conn,
            deployment=DeploymentCreate(flow_name=f"f-{tag}", name="nightly", entrypoint="a.py:f"),
        )
        work_pools.create_work_pool(conn, pool=WorkPoolCreate(name=f"pool-{tag}"))
        work_pools.create_work_queue(
            conn, pool_name=f"pool-{tag}", queue=WorkQueueCreate(name="fast")
        )
        made = automations.create_automation(
            conn, automation=AutomationCore(name=f"a-{tag}", trigger=EventTrigger())
        )
        quiet = automations.create_automation(
            conn, automation=AutomationCore(name=f"b-{tag}", trigger=EventTrigger())
        )
        automations.record_firing(
            conn, automation_id=made.id, actions=[{"type": "do-nothing"}], context={}
        )
    with db.begin_read() as conn:
        assert f"f-{tag}/nightly" in [label for _, label in choices.deployment_choices(conn)]
        assert f"pool-{tag}" in [label for _, label in choices.work_pool_choices(conn)]
        assert f"pool-{tag}/fast" in [label for _, label in choices.work_queue_choices(conn)]
        assert (str(made.id), f"a-{tag}") in choices.automation_choices(conn)
        fired = choices.last_fired(conn, [made.id, quiet.id])
    assert set(fired) == {made.id}
    assert abs(fired[made.id] - time.time()) < 60


def test_event_pages_follow_their_keys(database_url: str) -> None:
    db = get_database(database_url)
    name = f"page.{uuid.uuid4().hex[:6]}"
    now = time.time()
    rows = [
        {
            "id": uuid.uuid4(),
            "occurred": now - (i // 3),  # three events share each second
            "event": name,
            "resource": {"headwater.resource.id": f"r.{i}"},
        }
        for i in range(10)
    ]
    with db.begin_write() as conn:
        events.record_events(conn, rows)
    for order in ("DESC", "ASC"):
        flt = EventFilter.model_validate({"event": {"name": [name]}, "order": order})
        seen: list[str] = []
        position = None
        with db.begin_read() as conn:
            for _ in range(5):
                page, position = events.read_events_page(
                    conn, event_filter=flt, limit=4, position=position
                )
                seen += [r["resource"]["headwater.resource.id"] for r in page]
                if position is None:
                    break
        assert sorted(seen) == sorted(f"r.{i}" for i in range(10)), order
        assert len(seen) == 10
        times = [now - (int(s[2:]) // 3) for s in seen]
        assert times == sorted(times, reverse=order == "DESC")
