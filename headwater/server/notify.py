"""Waking long-polling workers when there may be new work.

A worker (or serve process) asks for runs with ``wait_seconds``; the request then
waits on this process's ``work_notifier`` instead of the worker sleeping a fixed
poll interval.  No route or page wakes workers itself: the server subscribes
``wake_on_events`` to the event bus (``server/events/bus.py``), which hands it the
events of each write transaction after it committed (never those of one that rolled
back), and it wakes the waiting requests when one of them means work to claim or a
run to stop: a flow run Scheduled (created, retried, resumed from suspension) or
Cancelling, a deployment, work pool or work queue resumed.  A slot freed by a run
that ended, and runs the scheduler inserted in bulk, register ``notify_work`` with
``after_commit`` in the store themselves.  Several server processes do not share
notifications, so a waiting request also looks again every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

RECHECK_SECONDS = 0.5


class WorkNotifier:
    """An asyncio event per generation, set from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the server's event loop (at start-up)."""
        self._loop = loop
        self._event = asyncio.Event()

    def unbind(self) -> None:
        """Detach from the loop (the server stopped): ``notify`` is a no-op again."""
        self._loop = None
        self._event = None

    def notify(self) -> None:
        """Wake every waiting request (thread-safe; a no-op outside a server)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._fire)
        except RuntimeError:  # the loop is closing
            pass

    def _fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        if event is not None:
            event.set()

    def snapshot(self) -> asyncio.Event | None:
        """Take before looking for work, then ``wait(snapshot, …)``: a notification
        sent in between is not missed."""
        return self._event

    async def wait(self, event: asyncio.Event | None, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notification after ``event`` was taken;
        True if one came."""
        if event is None or timeout <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


work_notifier = WorkNotifier()


def notify_work() -> None:
    work_notifier.notify()


#: Flow-run state types that make work for a worker: a run to claim, a run to stop.
_WAKING_STATES = frozenset({"SCHEDULED", "CANCELLING"})
_WAKING_EVENTS = frozenset(
    {"headwater.deployment.resumed", "headwater.work-pool.resumed", "headwater.work-queue.resumed"}
)


def wakes_workers(row: Mapping[str, Any]) -> bool:
    """Whether a committed event means work for waiting workers."""
    name = row["event"]
    if name.startswith("headwater.flow-run."):
        return row["resource"].get("headwater.state-type") in _WAKING_STATES
    return name in _WAKING_EVENTS


def wake_on_events(rows: Sequence[Mapping[str, Any]]) -> None:
    """The event-bus subscriber: one wake per committed batch that needs it."""
    if any(wakes_workers(row) for row in rows):
        notify_work()


def subscribe_wakes() -> Callable[[], None]:
    """Wake workers on committed events from now on (a server's start); returns the
    function that stops it."""
    from headwater.server.events import bus

    return bus.subscribe(wake_on_events)
