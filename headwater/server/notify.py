"""Waking long-polling workers when there may be new work.

A worker (or serve process) asks for runs with ``wait_seconds``; the request then
waits on this process's ``work_notifier`` instead of the worker sleeping a fixed
poll interval.  Routes and services that create or reschedule runs, or ask a run to
cancel, call ``notify_work()``; the waiting requests look again at once.  Several
server processes do not share notifications, so a waiting request also looks again
every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import asyncio
import threading

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
