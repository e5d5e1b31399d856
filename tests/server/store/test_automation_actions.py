"""Recorded actions: claimed, retried with backoff, failed at the last attempt, and
claimed again at once after their runner died."""

from __future__ import annotations

import time

from headwater.client.local import LocalClient
from headwater.schemas.automations import AutomationCore, DoNothing, EventTrigger
from headwater.server.store import automations as store


def test_claim_retry_fail_and_release(database_url: str) -> None:
    client = LocalClient(database_url)
    made = client.create_automation(
        AutomationCore(name="a", trigger=EventTrigger(), actions=[DoNothing()])
    )
    now = time.time() + 1
    with client.db.begin_write() as conn:
        store.record_firing(
            conn, automation_id=made.id, actions=[{"type": "do-nothing"}], context={}
        )
        [row] = store.claim_due_actions(conn, now=now)
        assert store.claim_due_actions(conn, now=now) == []  # claimed
        # The runner died holding it: a new runner takes it again at once.
        assert store.release_claims(conn, now=now + 1) == 1
        [again] = store.claim_due_actions(conn, now=now + 1)
        assert again["id"] == row["id"]
        status = store.finish_action(conn, action_id=row["id"], attempts=1, error="503", now=now)
        assert status == "pending"
        assert store.release_claims(conn, now=now) == 0  # a backoff is no claim
        assert store.claim_due_actions(conn, now=now + 0.1) == []
        assert len(store.claim_due_actions(conn, now=now + 0.6)) == 1
        last = store.MAX_ATTEMPTS
        assert store.finish_action(
            conn, action_id=row["id"], attempts=last, error="x", now=now
        ) == ("failed")
        assert store.claim_due_actions(conn, now=now + 10_000) == []
        [kept] = store.read_actions(conn, automation_id=made.id)
        assert (kept["status"], kept["attempts"], kept["last_error"]) == ("failed", last, "x")


def test_a_refused_action_fails_at_once(database_url: str) -> None:
    client = LocalClient(database_url)
    made = client.create_automation(
        AutomationCore(name="refused", trigger=EventTrigger(), actions=[DoNothing()])
    )
    now = time.time() + 1
    with client.db.begin_write() as conn:
        store.record_firing(
            conn, automation_id=made.id, actions=[{"type": "do-nothing"}], context={}
        )
        [row] = store.claim_due_actions(conn, now=now)
        status = store.finish_action(
            conn, action_id=row["id"], attempts=1, error="never", now=now, retry=False
        )
        assert status == "failed"
        assert store.claim_due_actions(conn, now=now + 10_000) == []
        [kept] = store.read_actions(conn, automation_id=made.id)
        assert (kept["status"], kept["attempts"]) == ("failed", 1)
