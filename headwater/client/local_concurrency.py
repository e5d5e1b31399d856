"""``LocalClient``'s leases (and, on them, concurrency limits): the service layer on
the embedded store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from headwater.client.leases import LeaseKeeper
    from headwater.server.db.database import Database


class LocalConcurrencyMixin:
    db: Database

    # -- leases -------------------------------------------------------------------------
    def lease_keeper(self) -> LeaseKeeper:
        """The thread renewing what this process holds through this client."""
        from headwater.client.leases import keeper_for

        return keeper_for(self)

    def renew_leases(self, lease_ids: Sequence[UUID]) -> list[UUID]:
        from headwater.server.store import leases

        with self.db.begin_write() as conn:
            return list(leases.renew(conn, lease_ids=lease_ids))

    def release_lease(self, lease_id: UUID) -> bool:
        from headwater.server.store import leases

        with self.db.begin_write() as conn:
            return leases.release(conn, lease_id=lease_id)
