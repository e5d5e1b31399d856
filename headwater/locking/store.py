"""Locks in the Headwater store: a lease on the key with room for one holder.

Works wherever the store is reachable: processes sharing an embedded store, and
processes on other machines through the server.  A lock taken without a hold timeout
is renewed by the client's lease keeper while held, so a long computation keeps it
and a holder that died frees it one ``HEADWATER_LEASE_SECONDS`` later; a lock taken
with ``hold_timeout`` is not renewed and lapses after that many seconds.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from headwater.locking.base import LockManager, check_timeout, poll


def _default_client() -> Any:
    from headwater.client.backend import get_backend

    return get_backend().client


class StoreLockManager(LockManager):
    """Locks as store leases (``client``: a Headwater client; default: this process's)."""

    def __init__(self, client: Any = None, *, namespace: str = "") -> None:
        self._client = client
        self.namespace = namespace
        self._renewed: dict[tuple[str, str], Any] = {}
        self._mutex = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _default_client()
        return self._client

    def _name(self, key: str) -> str:
        return self.namespace + key

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        from headwater.core.lease_ids import cache_lock_id
        from headwater.settings import get_settings

        acquire_timeout = check_timeout(acquire_timeout, "acquire_timeout")
        hold_timeout = check_timeout(hold_timeout, "hold_timeout")
        client = self.client
        name = self._name(key)
        duration = hold_timeout if hold_timeout else get_settings().lease_seconds

        def try_once() -> bool:
            return bool(client.acquire_cache_lock(name, holder, duration))

        if not poll(try_once, acquire_timeout):
            return False
        lease_id = cache_lock_id(name, holder)
        keeper = client.lease_keeper()
        with self._mutex:
            if hold_timeout:
                keeper.drop(lease_id)
                self._renewed.pop((name, holder), None)
            else:
                keeper.hold(lease_id, duration)
                self._renewed[(name, holder)] = lease_id
        return True

    def release_lock(self, key: str, holder: str) -> None:
        name = self._name(key)
        with self._mutex:
            lease_id = self._renewed.pop((name, holder), None)
        client = self.client
        if lease_id is not None:
            client.lease_keeper().drop(lease_id)
        if not client.release_cache_lock(name, holder):
            raise ValueError(f"{holder!r} does not hold the lock on {key!r}")

    def is_locked(self, key: str) -> bool:
        return self.client.read_cache_lock_holder(self._name(key)) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        return bool(self.client.read_cache_lock_holder(self._name(key)) == holder)

    def release_quietly(self, key: str, holder: str) -> None:
        with contextlib.suppress(Exception):
            self.release_lock(key, holder)

    def __repr__(self) -> str:
        return f"StoreLockManager(namespace={self.namespace!r})"
