"""Keeping this process's leases alive (see ``server/store/leases.py``).

Whatever this process holds through a client (concurrency slots, locks, cache-key
locks) is registered with that client's ``LeaseKeeper``: one daemon thread renews
every registered lease, in one call, a third of its duration after the last
renewal.  When the process dies, renewals stop and the store frees its slots one
lease duration later.  A lease the store no longer has (it expired while the
process was frozen, or someone reset the limit) is marked ``lost`` and dropped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any
from uuid import UUID

logger = logging.getLogger("headwater.leases")

#: A failed renewal is tried again after this fraction of the lease's duration.
_RETRY_FRACTION = 0.1


_holder: tuple[int, str] | None = None


def process_holder() -> str:
    """How a lease names this process: ``host:pid``."""
    global _holder
    pid = os.getpid()
    if _holder is None or _holder[0] != pid:
        _holder = (pid, f"{socket.gethostname()}:{pid}")
    return _holder[1]


class HeldLease:
    """One registered lease; ``lost`` turns True if the store stopped holding it."""

    __slots__ = ("due", "duration", "lease_id", "lost", "on_lost")

    def __init__(
        self, lease_id: UUID, duration: float, on_lost: Callable[[UUID], Any] | None
    ) -> None:
        self.lease_id = lease_id
        self.duration = duration
        self.due = time.monotonic() + duration / 3
        self.lost = False
        self.on_lost = on_lost


class LeaseKeeper:
    """Renews the leases held through one client, from one daemon thread."""

    def __init__(self, client: Any) -> None:
        self._client = weakref.ref(client)
        self._held: dict[UUID, HeldLease] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        #: When the thread, waiting, looks next (0: it is not waiting); a lease due
        #: later needs no wake-up (waking it per hold cost a thread switch per slot).
        self._until = 0.0

    def hold(
        self, lease_id: UUID, duration: float, on_lost: Callable[[UUID], Any] | None = None
    ) -> HeldLease:
        """Keep ``lease_id`` (granted for ``duration`` seconds) alive until ``drop``."""
        held = HeldLease(lease_id, duration, on_lost)
        with self._cond:
            self._held[lease_id] = held
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="headwater-leases", daemon=True
                )
                self._thread.start()
            if held.due < self._until:
                self._cond.notify()
        return held

    def drop(self, lease_id: UUID) -> None:
        """Stop renewing ``lease_id`` (it was released, or is being)."""
        with self._cond:
            self._held.pop(lease_id, None)

    def held_ids(self) -> list[UUID]:
        with self._cond:
            return list(self._held)

    def _due(self) -> list[HeldLease]:
        """Wait until some lease is due for renewal; those that are."""
        with self._cond:
            while True:
                if not self._held:
                    self._until = float("inf")
                    self._cond.wait()
                    self._until = 0.0
                    continue
                now = time.monotonic()
                first = min(held.due for held in self._held.values())
                if first <= now:
                    return [held for held in self._held.values() if held.due <= now]
                self._until = first
                self._cond.wait(first - now)
                self._until = 0.0

    def _run(self) -> None:
        while True:
            due = self._due()
            client = self._client()
            if client is None:
                return
            try:
                renewed = set(client.renew_leases([held.lease_id for held in due]))
            except Exception as exc:  # the server may be restarting: try again soon
                logger.debug("renewing %d leases failed: %s", len(due), exc)
                later = time.monotonic()
                for held in due:
                    held.due = later + held.duration * _RETRY_FRACTION
                continue
            del client
            self._settle(due, renewed)

    def _settle(self, due: list[HeldLease], renewed: set[UUID]) -> None:
        now = time.monotonic()
        lost = []
        with self._cond:
            for held in due:
                if held.lease_id in renewed:
                    held.due = now + held.duration / 3
                elif self._held.get(held.lease_id) is held:
                    held.lost = True
                    del self._held[held.lease_id]
                    lost.append(held)
        for held in lost:
            logger.warning(
                "lease %s expired before it could be renewed; what it held may be "
                "held by someone else now",
                held.lease_id,
            )
            if held.on_lost is not None:
                try:
                    held.on_lost(held.lease_id)
                except Exception:
                    logger.exception("a lease-lost callback failed")


_keepers: weakref.WeakKeyDictionary[Any, LeaseKeeper] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def keeper_for(client: Any) -> LeaseKeeper:
    """The lease keeper of ``client`` (made on first use)."""
    keeper = _keepers.get(client)
    if keeper is None:
        with _lock:
            keeper = _keepers.get(client)
            if keeper is None:
                keeper = _keepers[client] = LeaseKeeper(client)
    return keeper


def _forget_after_fork() -> None:
    """A forked child has no keeper threads: it starts its own when it holds something."""
    global _lock
    _keepers.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
