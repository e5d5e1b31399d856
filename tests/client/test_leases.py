"""The lease keeper: what a process holds stays held while it lives (renewed by one
thread), is reported lost when the store stopped holding it, and is freed when the
holder lets go; over the embedded store and a server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.client.http import HttpClient
from headwater.client.local import LocalClient
from headwater.core.lease_ids import cache_lock_id
from headwater.locking import StoreLockManager
from tests._servers import ServerProcess


@pytest.fixture
def http_client(api_server: ServerProcess) -> Iterator[HttpClient]:
    with HttpClient(api_server.url, retry_seconds=5) as http:
        yield http


def test_a_held_lock_is_renewed_past_its_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_LEASE_SECONDS", "1.0")
    _held_lock_is_renewed(LocalClient())


def test_a_held_lock_is_renewed_past_its_duration_on_a_server(
    http_client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_LEASE_SECONDS", "1.0")
    _held_lock_is_renewed(http_client)


def test_a_lease_the_store_dropped_is_reported_lost() -> None:
    _dropped_lease_is_lost(LocalClient())


def test_a_lease_the_server_dropped_is_reported_lost(http_client: HttpClient) -> None:
    _dropped_lease_is_lost(http_client)


def _held_lock_is_renewed(client: Any) -> None:
    key = f"renewed-{time.monotonic_ns()}"
    locks = StoreLockManager(client)
    assert locks.acquire_lock(key, "me", acquire_timeout=5)
    # 2.2 lease durations: held only because it is renewed (durations long enough that a
    # loaded machine starving the renewal thread for a few hundred ms loses nothing)
    time.sleep(2.2)
    assert not client.acquire_cache_lock(key, "other", 60)
    assert locks.is_lock_holder(key, "me")
    locks.release_lock(key, "me")
    assert client.acquire_cache_lock(key, "other", 60)  # let go on exit
    assert client.release_cache_lock(key, "other")


def _dropped_lease_is_lost(client: Any) -> None:
    key = f"lost-{time.monotonic_ns()}"
    assert client.acquire_cache_lock(key, "me", 1.0)
    lease_id = cache_lock_id(key, "me")
    lost = threading.Event()
    keeper = client.lease_keeper()
    assert keeper is client.lease_keeper()
    held = keeper.hold(lease_id, 1.0, on_lost=lambda _id: lost.set())
    time.sleep(1.5)  # past its duration: held only because it is renewed
    assert not held.lost and lease_id in keeper.held_ids()
    assert client.release_lease(lease_id)  # someone reset it
    assert lost.wait(5.0) and held.lost
    assert lease_id not in keeper.held_ids()
    assert not client.release_lease(lease_id)
