"""Running the services in background threads of a server (or a serve process)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from headwater.server.db.database import Database

logger = logging.getLogger("headwater.services")


def service_functions() -> dict[str, Callable[..., Any]]:
    from headwater.server.services import (
        cancellations,
        event_retention,
        late_runs,
        leases,
        retention,
        scheduler,
        suspended_runs,
        ui_sessions,
        zombies,
    )

    return {
        "scheduler": scheduler.run_once,
        "late_runs": late_runs.run_once,
        "zombies": zombies.run_once,
        "cancellations": cancellations.run_once,
        "leases": leases.run_once,
        "retention": retention.run_once,
        "event_retention": event_retention.run_once,
        "suspended_runs": suspended_runs.run_once,
        "ui_sessions": ui_sessions.run_once,
    }


def run_all_once(db: Database, now: float | None = None) -> None:
    """Every service once (a serve process without a server does this each loop)."""
    for name, fn in service_functions().items():
        _run_one(name, fn, db, now)


def _run_one(name: str, fn: Callable[..., Any], db: Database, now: float | None = None) -> None:
    try:
        fn(db, now)
    except Exception:  # a service must survive a bad pass (a busy store, a bug)
        logger.exception("service %s failed; it runs again next loop", name)


class Services:
    """One daemon thread per service; ``stop()`` ends them."""

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Services:
        for name, fn in service_functions().items():
            thread = threading.Thread(
                target=self._loop, args=(name, fn), name=f"headwater-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _loop(self, name: str, fn: Callable[..., Any]) -> None:
        while not self._stop.is_set():
            _run_one(name, fn, self.db)
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
