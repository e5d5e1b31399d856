"""``HttpClient``'s leases (and, on them, concurrency limits) over the REST API."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

# Reads and changes of limits first give back the slots this process released
# (``client/releases.py``): it never reads its own released slots as held.
from headwater.client.releases import settle as settle_releases
from headwater.schemas.concurrency import (
    MAX_SERVER_WAIT,
    ConcurrencyLimit,
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    SlotGrant,
    SlotRequest,
)

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

    def _limit_call(self, method: str, path: str, body: Any = None) -> Any:
        from headwater.client.transport import dumps

        content = dumps(body) if body is not None else None
        return self.transport.request(method, path, content, retry_for=LEASE_RETRY_SECONDS)

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

    # -- concurrency limits -------------------------------------------------------------
    def create_concurrency_limit(self, limit: ConcurrencyLimitCreate) -> ConcurrencyLimit:
        body = limit.model_dump(mode="json")
        return ConcurrencyLimit.model_validate_json(
            self._limit_call("POST", "/concurrency_limits", body).content
        )

    def read_concurrency_limit(self, name: str) -> ConcurrencyLimit:
        settle_releases()
        return ConcurrencyLimit.model_validate_json(self._limit_call("GET", _path(name)).content)

    def read_concurrency_limits(
        self, *, tags: bool | None = None, limit: int = 200, offset: int = 0
    ) -> list[ConcurrencyLimit]:
        settle_releases()
        body = {"tags": tags, "limit": limit, "offset": offset}
        answer = self._limit_call("POST", "/concurrency_limits/filter", body).json()
        return [ConcurrencyLimit.model_validate(item) for item in answer]

    def update_concurrency_limit(
        self, name: str, changes: ConcurrencyLimitUpdate
    ) -> ConcurrencyLimit:
        settle_releases()
        body = changes.model_dump(mode="json", exclude_none=True)
        return ConcurrencyLimit.model_validate_json(
            self._limit_call("PATCH", _path(name), body).content
        )

    def delete_concurrency_limit(self, name: str) -> bool:
        settle_releases()
        return bool(self._limit_call("DELETE", _path(name)).json()["deleted"])

    def reset_concurrency_limit(self, name: str) -> int:
        settle_releases()
        return int(self._limit_call("POST", _path(name) + "/reset", {}).json()["released"])

    def acquire_concurrency_slots(self, request: SlotRequest) -> SlotGrant:
        """Take the slots, waiting up to ``request.wait_seconds``: the server holds each
        ask up to 5 s (woken when slots free up); the next ask keeps the place."""
        deadline = time.monotonic() + request.wait_seconds
        while True:
            left = max(0.0, deadline - time.monotonic())
            ask = request.model_copy(update={"wait_seconds": min(left, MAX_SERVER_WAIT)})
            body = ask.model_dump(mode="json")
            grant = SlotGrant.model_validate_json(
                self._limit_call("POST", "/concurrency_limits/acquire", body).content
            )
            if request.release:  # given back by the first ask
                request = request.model_copy(update={"release": []})
            if grant.lease_id is not None or not grant.limits or deadline <= time.monotonic():
                return grant

    def leave_concurrency_queue(self, ticket: UUID) -> None:
        self._limit_call("POST", "/concurrency_limits/leave", {"ticket": str(ticket)})


def _path(name: str) -> str:
    return "/concurrency_limits/" + quote(name, safe="")
