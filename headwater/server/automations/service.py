"""The automation service: triggers evaluated over events as they are committed.

Events reach it two ways: this process's commits, handed over by the event bus right
after commit (the fast path: no query), and a tail of the events table for what other
processes wrote (an embedded store's flows, other server workers), read every
``TAIL_SECONDS`` a little back in time and de-duplicated by id.  A firing records its
actions and a ``headwater.automation.triggered`` event in one transaction; the
action runner (``runner.py``) is woken to do them.  Proactive windows are checked on
a timer, so one fires at its deadline even when no event arrives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from headwater.schemas.automations import AutomationRead
from headwater.server.automations.composite import Evaluator, trigger_state
from headwater.server.automations.seen import SeenEvents
from headwater.server.automations.triggers import Firing
from headwater.server.db.database import Database
from headwater.server.events import bus

logger = logging.getLogger("headwater.automations")

TAIL_SECONDS = 1.0
#: How far back the tail looks: a transaction commits a little after its rows got
#: their ``received`` time.
LOOKBACK_SECONDS = 5.0
#: How long an event id is remembered after it was judged, at least (see seen.py).
SEEN_SECONDS = 60.0
#: Unseen events the tail reads in full per pass.
TAIL_BATCH = 5000


class AutomationService:
    def __init__(self, db: Database, on_fired: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_fired = on_fired
        self._inbox: deque[Sequence[dict[str, Any]]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._states: dict[Any, tuple[AutomationRead, Evaluator]] = {}
        self._version: tuple[int, float] | None = None
        self._seen = SeenEvents(SEEN_SECONDS)
        self._tail_from = time.time()
        self._next_tail = 0.0

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> AutomationService:
        self._unsubscribe = bus.subscribe(self._deliver)
        self._skip_stored_events()
        self._thread = threading.Thread(target=self._run, name="headwater-automations", daemon=True)
        self._thread.start()
        return self

    def _skip_stored_events(self) -> None:
        """Events stored before this start were judged by the server that received them
        (its firings are recorded and delivered from the store): the tail's look-back
        must not judge them a second time after a restart."""
        from headwater.server.store.events import read_event_marks_since

        try:
            with self.db.begin_read() as conn:
                marks = read_event_marks_since(conn, received=self._tail_from - LOOKBACK_SECONDS)
        except Exception:
            logger.exception("automations: could not read the recent events")
            return
        for event_id, received in marks:
            self._seen.add(event_id, received=received, judged=self._tail_from)

    def stop(self, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _deliver(self, rows: Sequence[dict[str, Any]]) -> None:
        self._inbox.append(rows)
        self._wake.set()

    def nudge(self) -> None:
        """Look again now (automations changed)."""
        self._version = None
        self._wake.set()

    # -- loop --------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake during it is not lost
            try:
                self.run_once(time.time())
            except Exception:
                logger.exception("the automation service failed a pass; it goes on")
            self._wake.wait(self._sleep_for(time.time()))

    def _sleep_for(self, now: float) -> float:
        wait = max(0.0, self._next_tail - now)
        for _automation, state in self._states.values():
            deadline = state.next_deadline()
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now))
        return min(wait, TAIL_SECONDS)

    def run_once(self, now: float) -> None:
        self._reload(now)
        firings: list[tuple[AutomationRead, Firing]] = []
        while self._inbox:
            for row in self._inbox.popleft():
                firings += self._observe(row, now)
        if now >= self._next_tail:
            self._next_tail = now + TAIL_SECONDS
            for row in self._tail(now):
                firings += self._observe(row, now)
        for automation, state in list(self._states.values()):
            firings += [(automation, f) for f in state.due(now)]
        if firings:
            self._record(firings, now)

    def _reload(self, now: float) -> None:
        from headwater.server.store import automations as store

        with self.db.begin_read() as conn:
            version = store.last_change(conn)
            if version == self._version:
                return
            found = store.enabled_automations(conn)
        self._version = version
        states = {}
        for automation in found:
            old = self._states.get(automation.id)
            if old is not None and old[0].trigger == automation.trigger:
                states[automation.id] = (automation, old[1])  # keep its buckets
            else:
                states[automation.id] = (automation, trigger_state(automation.trigger, now))
        self._states = states

    def _observe(self, row: dict[str, Any], now: float) -> list[tuple[AutomationRead, Firing]]:
        if not self._seen.add(row["id"], received=row.get("received") or now, judged=now):
            return []
        fired = []
        for automation, state in self._states.values():
            fired += [(automation, f) for f in state.observe(row, now)]
        return fired

    def _tail(self, now: float) -> list[dict[str, Any]]:
        """Events of the look-back window not seen yet, oldest first (at most
        ``TAIL_BATCH`` a pass; the window then starts at the last one read, so a busy
        stream of events never holds the tail back)."""
        from headwater.server.store.events import read_event_marks_since, read_events_by_id

        with self.db.begin_read() as conn:
            marks = read_event_marks_since(conn, received=self._tail_from - LOOKBACK_SECONDS)
            unseen = [mark for mark in marks if mark[0] not in self._seen][:TAIL_BATCH]
            rows = []
            for i in range(0, len(unseen), 1000):
                rows += read_events_by_id(conn, [m[0] for m in unseen[i : i + 1000]])
        if len(unseen) == TAIL_BATCH:
            self._tail_from = max(self._tail_from, unseen[-1][1])
            self._next_tail = now  # more to read: the next pass goes on at once
        elif marks:
            self._tail_from = max(self._tail_from, marks[-1][1])
        rows.sort(key=lambda row: row["received"])
        self._seen.forget(now=now, window_start=self._tail_from - LOOKBACK_SECONDS)
        return rows

    def _record(self, firings: list[tuple[AutomationRead, Firing]], now: float) -> None:
        from headwater.server.events.domain import object_event
        from headwater.server.store import automations as store
        from headwater.server.store import events as event_store
        from headwater.server.store.events import event_dict

        triggered = []
        with self.db.begin_write() as conn:
            for automation, firing in firings:
                event = event_dict(dict(firing.event)) if firing.event is not None else None
                context = {
                    "event": event,
                    "automation": {"id": str(automation.id), "name": automation.name},
                    "firing": {"count": firing.count, "labels": firing.labels, "at": now},
                }
                actions = [
                    a.model_dump(mode="json")
                    for a in [*automation.actions_on_trigger, *automation.actions]
                ]
                firing_id = store.record_firing(
                    conn, automation_id=automation.id, actions=actions, context=context
                )
                related = []
                if event is not None:
                    related.append(
                        {
                            "headwater.resource.id": f"headwater.event.{event['id']}",
                            "headwater.resource.role": "triggering-event",
                        }
                    )
                triggered.append(
                    object_event(
                        "automation",
                        "triggered",
                        automation.id,
                        automation.name,
                        related=related,
                        payload={"firing_id": str(firing_id), "count": firing.count},
                    )
                )
            event_store.record_events(conn, triggered)
        if self.on_fired is not None:
            self.on_fired()
