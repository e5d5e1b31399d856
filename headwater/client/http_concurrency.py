"""``HttpClient``'s leases (and, on them, concurrency limits) over the REST API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.client.leases import LeaseKeeper

#: Renewals and releases are retried for a while: a lease outlives a short outage.
LEASE_RETRY_SECONDS = 10.0


class HttpConcurrencyMixin:
    transport: Any

    def _lease_call(self, path: str, body: Any) -> Any:
        from headwater.client.transport import dumps

        return self.transport.request(
            "POST", path, dumps(body), retry_for=LEASE_RETRY_SECONDS
        ).json()

    # -- leases -------------------------------------------------------------------------
    def lease_keeper(self) -> LeaseKeeper:
        """The thread renewing what this process holds through this client."""
        from headwater.client.leases import keeper_for

        return keeper_for(self)

    def renew_leases(self, lease_ids: Sequence[UUID]) -> list[UUID]:
        answer = self._lease_call("/leases/renew", {"lease_ids": list(lease_ids)})
        return [UUID(item) for item in answer["renewed"]]

    def release_lease(self, lease_id: UUID) -> bool:
        return bool(self._lease_call(f"/leases/{lease_id}/release", {})["released"])
