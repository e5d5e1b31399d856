"""The action runner: does recorded actions until each is delivered.

Woken when a firing is recorded, and otherwise when the next retry is due; at start
it finds what a previous server process left pending.  An action that fails is
retried with backoff (``store.automations.finish_action``), and emits
``headwater.automation.action.failed`` when it gives up; one refused
(``ActionRefused``: it can never succeed) is not retried.
"""

from __future__ import annotations

import logging
import threading
import time

from headwater.server.automations.actions import ActionRefused, run_action
from headwater.server.db.database import Database

logger = logging.getLogger("headwater.automations")

IDLE_SECONDS = 5.0


class ActionRunner:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ActionRunner:
        self._thread = threading.Thread(
            target=self._run, name="headwater-automation-actions", daemon=True
        )
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        from headwater.server.store import automations as store

        try:
            with self.db.begin_write() as conn:
                store.release_claims(conn, now=time.time())
        except Exception:
            logger.exception("cannot release the claims of a previous runner")
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake during it is not lost
            wait = IDLE_SECONDS
            try:
                wait = self.run_once(time.time())
            except Exception:
                logger.exception("the action runner failed a pass; it goes on")
            self._wake.wait(wait)

    def run_once(self, now: float) -> float:
        """Do the due actions; seconds until the next one is due (at most IDLE)."""
        from headwater.server.store import automations as store

        with self.db.begin_write() as conn:
            rows = store.claim_due_actions(conn, now=now)
        for row in rows:
            if self._stop.is_set():
                break
            error = None
            retry = True
            try:
                run_action(self.db, row)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
                retry = not isinstance(exc, ActionRefused)
                logger.warning("automation action %s failed: %s", row["action"]["type"], error)
            with self.db.begin_write() as conn:
                status = store.finish_action(
                    conn,
                    action_id=row["id"],
                    attempts=row["attempts"] + 1,
                    error=error,
                    now=time.time(),
                    retry=retry,
                )
                if status == "failed":
                    self._emit_failed(conn, row, error)
        if rows:
            return 0.0
        with self.db.begin_read() as conn:
            due = store.next_due(conn)
        return IDLE_SECONDS if due is None else max(0.0, min(IDLE_SECONDS, due - time.time()))

    @staticmethod
    def _emit_failed(conn: object, row: dict[str, object], error: str | None) -> None:
        from headwater.server.events.domain import object_event
        from headwater.server.store.events import record_events

        event = object_event(
            "automation",
            "action.failed",
            row["automation_id"],  # type: ignore[arg-type]
            "",
            payload={"action": row["action"], "error": error},
        )
        record_events(conn, [event])  # type: ignore[arg-type]
