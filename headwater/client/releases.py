"""Giving back concurrency slots without making the caller wait for it.

Leaving a ``with concurrency(...)`` block hands its lease to this module
(``release_soon``) and returns at once.  The lease is then given back by whichever
comes first:

- the next request for slots this process makes through the same client: it carries
  the lease (``SlotRequest.release``) and the store gives it back in the same
  transaction, before it looks at the request (``take_for``).  A process taking and
  giving back slots in a loop so needs one write transaction (one HTTP request
  through a server) per acquisition instead of two: under contention that halves
  the turns on the store's write lock;
- this module's daemon thread, woken by the hand-over: when the caller does not ask
  again within ``GRACE_SECONDS`` (1 ms), the thread gives the lease back (later by
  up to Python's thread switch interval, 5 ms, while the caller keeps the CPU);
- ``settle``: any read of concurrency limits through a client of this process, and
  the process's exit, give back every pending lease first, so the process never
  sees its own released slots as held, and a process that exits normally leaves
  nothing held.

A process killed right after leaving the block loses its pending releases; their
slots come back when the lease runs out, as for a process killed while holding.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any
from uuid import UUID

logger = logging.getLogger("headwater.concurrency")

#: Woken, the thread leaves pending releases this long to the caller's next request
#: first: a caller taking slots in a loop then carries every release itself and the
#: thread wakes about once per this interval instead of once per release (each
#: wake-up took the interpreter lock from the caller: 10-20 % of an embedded
#: acquire-and-release).
GRACE_SECONDS = 0.001
#: ``settle`` waits at most this long for releases already under way.
SETTLE_SECONDS = 10.0


class _Pending:
    """The process's leases waiting to be given back, and the thread giving them back."""

    def __init__(self) -> None:
        lock = threading.Lock()
        self.cond = threading.Condition(lock)  # the thread waits on it for work
        #: ``settle`` waits on it for releases under way (a condition of its own: the
        #: thread waits on ``cond`` for work only).
        self.idle = threading.Condition(lock)
        self.items: list[tuple[Any, UUID]] = []
        #: Releases taken by the thread or a ``settle`` and not yet done.
        self.busy = 0
        self.thread: threading.Thread | None = None
        #: The thread waits for work (an ``add`` must wake it).
        self.waiting = False
        self.pid = os.getpid()

    def add(self, client: Any, lease_id: UUID) -> bool:
        """List the release; False if it cannot be given back later (no thread can be
        started: the interpreter is shutting down), so the caller does it now."""
        with self.cond:
            if self.thread is None:
                thread = threading.Thread(target=self._run, name="headwater-releases", daemon=True)
                try:
                    thread.start()
                except RuntimeError:  # "can't create new thread at interpreter shutdown"
                    return False
                self.thread = thread
            elif self.waiting:
                self.waiting = False
                self.cond.notify()
            self.items.append((client, lease_id))
            return True

    def take(self, client: Any | None = None, busy: bool = True) -> list[tuple[Any, UUID]]:
        """Remove and return the pending releases (of ``client`` only, if given);
        ``busy``: counted as under way until ``done``."""
        with self.cond:
            if not self.items:
                return []
            if client is None:
                taken, self.items = self.items, []
            else:
                taken = [item for item in self.items if item[0] is client]
                if taken:
                    self.items = [item for item in self.items if item[0] is not client]
            if busy:
                self.busy += len(taken)
            return taken

    def done(self, count: int) -> None:
        with self.cond:
            self.busy -= count
            if self.busy == 0:
                self.idle.notify_all()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.items:
                    self.waiting = True
                    self.cond.wait()
                self.waiting = False
                # Given up early by a ``settle`` (it takes them itself).
                self.cond.wait(GRACE_SECONDS)
            taken = self.take()
            try:
                give_back(taken)
            finally:
                self.done(len(taken))

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        taken = self.take()
        with self.cond:
            self.cond.notify()  # the thread need not wait out its grace
        try:
            give_back(taken)
        finally:
            self.done(len(taken))
        with self.cond:  # releases the thread took are given back before reading
            self.idle.wait_for(lambda: self.busy == 0, timeout)


_pending = _Pending()


def _current() -> _Pending:
    """This process's pending releases (a forked child starts with none: its parent's
    thread does not run in it, and the parent gives back its own)."""
    global _pending
    if _pending.pid != os.getpid():
        _pending = _Pending()
    return _pending


def release_soon(client: Any, lease_id: UUID) -> None:
    """Give back ``lease_id`` through ``client`` soon (see the module doc); at once
    when no thread can be started for it any more."""
    if not _current().add(client, lease_id):
        give_back([(client, lease_id)])


def take_for(client: Any) -> list[UUID]:
    """The pending releases of ``client``, for a request for slots to carry (the
    caller gives them back itself, ``give_back``, if its request fails).  Not counted
    as under way: the request may go on to wait for slots, and a ``settle``
    meanwhile (a read from another thread, a client closing) must not wait with it;
    the store gave them back in the request's first transaction."""
    return [lease_id for _, lease_id in _current().take(client, busy=False)]


def settle() -> None:
    """Give back every pending release of this process now (and wait for those under
    way): a read of concurrency limits then sees them given back."""
    pending = _current()
    if pending.items or pending.busy or (pending.thread is not None and not pending.waiting):
        pending.settle()


def give_back(items: list[tuple[Any, UUID]]) -> None:
    """Release each lease through its client; a failure is logged (the lease is no
    longer renewed, so it runs out by itself)."""
    for client, lease_id in items:
        try:
            client.release_lease(lease_id)
        except Exception as exc:
            logger.warning(
                "could not give back concurrency slots (%s); they free up within the "
                "lease duration",
                exc,
            )


def _at_exit() -> None:
    start = time.monotonic()
    settle()
    if _current().busy:
        logger.warning(
            "concurrency slots were still being given back %.1f s after exit began",
            time.monotonic() - start,
        )


atexit.register(_at_exit)
