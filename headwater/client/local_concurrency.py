"""``LocalClient``'s leases (and, on them, concurrency limits): the service layer on
the embedded store."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

# Reads and changes of limits first give back the slots this process released
# (``client/releases.py``): it never reads its own released slots as held.
from headwater.client.releases import settle as settle_releases
from headwater.schemas.concurrency import (
    ConcurrencyLimit,
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    SlotGrant,
    SlotRequest,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from headwater.client.leases import LeaseKeeper
    from headwater.server.db.database import Database


class LocalConcurrencyMixin:
    db: Database
    _lease_seconds: float | None = None

    # -- leases -------------------------------------------------------------------------
    def lease_keeper(self) -> LeaseKeeper:
        """The thread renewing what this process holds through this client."""
        from headwater.client.leases import keeper_for

        return keeper_for(self)

    def renew_leases(self, lease_ids: Sequence[UUID]) -> list[UUID]:
        from headwater.server.store import leases

        renewed = self.db.write_retrying(lambda conn: leases.renew(conn, lease_ids=lease_ids))
        return list(renewed)

    def release_lease(self, lease_id: UUID) -> bool:
        from headwater.server.store import leases

        return self.db.write_retrying(lambda conn: leases.release(conn, lease_id=lease_id))

    # -- concurrency limits -------------------------------------------------------------
    def create_concurrency_limit(self, limit: ConcurrencyLimitCreate) -> ConcurrencyLimit:
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_write() as conn:
            return store.create_limit(conn, limit=limit)

    def read_concurrency_limit(self, name: str) -> ConcurrencyLimit:
        settle_releases()
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_read() as conn:
            return store.read_limit(conn, name=name)

    def read_concurrency_limits(
        self, *, tags: bool | None = None, limit: int = 200, offset: int = 0
    ) -> list[ConcurrencyLimit]:
        settle_releases()
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_read() as conn:
            return store.read_limits(conn, tags=tags, limit=limit, offset=offset)

    def update_concurrency_limit(
        self, name: str, changes: ConcurrencyLimitUpdate
    ) -> ConcurrencyLimit:
        settle_releases()
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_write() as conn:
            return store.update_limit(conn, name=name, changes=changes)

    def delete_concurrency_limit(self, name: str) -> bool:
        settle_releases()
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_write() as conn:
            return store.delete_limit(conn, name=name)

    def reset_concurrency_limit(self, name: str) -> int:
        settle_releases()
        from headwater.server.store import concurrency_limits as store

        with self.db.begin_write() as conn:
            return store.reset_limit(conn, name=name)

    def acquire_concurrency_slots(self, request: SlotRequest) -> SlotGrant:
        """Take the slots, waiting up to ``request.wait_seconds`` (woken by a datagram
        when slots free up, see ``core/wake.py``).  A first ask is one write
        transaction whatever the answer: the slot in one statement when free (see
        ``server/store/slot_counts.py``), no limit to wait for, or a refusal."""
        return wait_for_slots(self.db, request, self._default_lease_seconds())

    def _default_lease_seconds(self) -> float:
        """``HEADWATER_LEASE_SECONDS`` when this client first took slots."""
        seconds: float | None = getattr(self, "_lease_seconds", None)
        if seconds is None:
            from headwater.settings import get_settings

            seconds = self._lease_seconds = max(1.0, get_settings().lease_seconds)
        return seconds

    def leave_concurrency_queue(self, ticket: UUID) -> None:
        from headwater.server.store import leases

        self.db.write_retrying(lambda conn: leases.leave_queue(conn, ticket=ticket))


def wait_for_slots(db: Database, request: SlotRequest, default_duration: float) -> SlotGrant:
    """Ask until granted or ``wait_seconds`` pass; between asks, sleep on a wake socket
    until a datagram, the next lease expiry, or the queue refresh interval."""
    from headwater.core.wake import WakeSocket
    from headwater.server.store import concurrency_limits as store
    from headwater.server.store import handoff
    from headwater.server.store.leases import WAITER_REFRESH

    deadline = time.monotonic() + request.wait_seconds
    request_duration = request.lease_duration or default_duration
    # A request that may wait queues with its wake address from the first look (a slot
    # freed right after it must find where to wake it); one that may not needs none.
    sock: WakeSocket | None = WakeSocket() if request.wait_seconds > 0 else None
    ask = request

    def ask_once(conn: Connection) -> tuple[SlotGrant, float | None]:
        return store.acquire_slots(
            conn,
            request=ask,
            default_duration=default_duration,
            wake_address=sock.address if sock else None,
        )

    try:
        while True:
            # PostgreSQL may pick the transaction as a deadlock victim: ask again.
            grant, retry_at = db.write_retrying(ask_once)
            if ask.release:  # given back by the first ask
                ask = ask.model_copy(update={"release": []})
            left = deadline - time.monotonic()
            if grant.lease_id is not None or not grant.limits or left <= 0:
                return grant
            if sock is None:
                return grant
            pause = min(left, WAITER_REFRESH)
            if retry_at is not None:
                pause = min(pause, max(0.0, retry_at - time.time()) + 0.001)
            woken = sock.receive(pause)
            if woken and request.ticket is not None:
                # Woken: a release may have handed this waiter its slots already; its
                # datagram says so (no look-up), else a read (no write transaction,
                # no wait for the write lock).
                if handoff.granted_payload(request.ticket) in woken:
                    return handoff.handed(request.ticket, grant, request_duration)
                with db.begin_read() as conn:
                    held = handoff.grant_for(conn, request.ticket, grant, request_duration)
                if held is not None:
                    return held
    finally:
        if sock is not None:
            sock.close()
