"""One wake socket for every request waiting in this server process (``core/wake.py``).

A waiting request registers its ticket and awaits; the datagram that frees it carries
the ticket, and the socket's reader (on the event loop, no thread) sets that
request's event.  One hub per event loop."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from uuid import UUID

from headwater.core.wake import GRANTED, WakeSocket


class WakeHub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.socket = WakeSocket()
        self.address = self.socket.address
        self._waiting: dict[UUID, asyncio.Event] = {}
        #: Tickets woken by a release that handed them their slots.
        self._granted: set[UUID] = set()
        loop.add_reader(self.socket.fileno(), self._read)

    def _read(self) -> None:
        for payload in self.socket.drain():
            if len(payload) not in (16, 17):
                continue
            ticket = UUID(bytes=payload[:16])
            event = self._waiting.get(ticket)
            if event is not None:
                if payload[16:] == GRANTED:
                    self._granted.add(ticket)
                event.set()

    def register(self, ticket: UUID) -> asyncio.Event:
        event = self._waiting.get(ticket)
        if event is None:
            event = self._waiting[ticket] = asyncio.Event()
        return event

    def unregister(self, ticket: UUID) -> None:
        self._waiting.pop(ticket, None)
        self._granted.discard(ticket)

    def was_granted(self, ticket: UUID) -> bool:
        """Whether ``ticket`` was woken because a release handed it its slots."""
        return ticket in self._granted

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Until ``event`` is set or ``timeout`` seconds pass; clears it.  Whether it
        was set."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        woken = event.is_set()
        event.clear()
        return woken


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WakeHub] = weakref.WeakKeyDictionary()


def hub() -> WakeHub:
    """The running loop's hub (made on first use)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = WakeHub(loop)
    return found
