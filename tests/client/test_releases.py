"""``client/releases.py``: slots given back without the caller waiting, carried by the
next request for slots, given back by the thread or at exit otherwise; on the
embedded store (SQLite, PostgreSQL) and through a server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.client import open_client, releases
from headwater.concurrency.slots import acquire
from headwater.concurrency.sync import concurrency
from headwater.exceptions import ConcurrencyLimitNotFound
from headwater.schemas.concurrency import ConcurrencyLimitCreate
from tests._servers import ServerProcess

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql", "server"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "server":
        server: ServerProcess = request.getfixturevalue("shared_servers").get("sqlite")
        monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    elif request.param == "postgresql":
        monkeypatch.setenv("HEADWATER_DATABASE_URL", request.getfixturevalue("pg_url"))
    return request.param


@pytest.fixture
def slow_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The thread leaves releases to the caller for 30 s: what happens to them is then
    the caller's doing, however slow the machine."""
    monkeypatch.setattr(releases, "GRACE_SECONDS", 30.0)
    yield
    releases.settle()


def _limit(limit: int = 1) -> str:
    name = f"rel-{uuid.uuid4().hex[:8]}"
    with open_client() as client:
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=name, limit=limit))
    return name


def _unsettled(name: str) -> dict[str, Any]:
    """The limit as another process reads it (no ``settle`` first)."""
    from headwater.concurrency.slots import client_and_runs

    client = client_and_runs()[0]
    if hasattr(client, "db"):
        from headwater.server.store import concurrency_limits as store

        with client.db.begin_read() as conn:
            return store.read_limit(conn, name=name).model_dump()
    import httpx

    with httpx.Client() as http:
        return dict(http.get(f"{client.api_url}/concurrency_limits/{name}").json())


def _held_unsettled(name: str) -> int:
    return int(_unsettled(name)["active_slots"])


def test_the_next_request_carries_the_release(store: str, slow_thread: None) -> None:
    name = _limit(1)
    with concurrency(name):
        pass
    assert _held_unsettled(name) == 1  # pending: the thread waits 30 s
    # A limit of 1: the new slot is free at once only if the old one went first.
    held = acquire(name, on_wait=lambda names: pytest.fail("the carried release was not first"))
    assert _held_unsettled(name) == 1
    held.release()
    assert _held_unsettled(name) == 0


def test_a_release_nobody_carries_goes_within_the_grace(store: str) -> None:
    name = _limit(1)
    with concurrency(name):
        pass
    deadline = time.monotonic() + 10
    while _held_unsettled(name) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert _held_unsettled(name) == 0


def test_reads_through_any_client_settle_first(store: str, slow_thread: None) -> None:
    name = _limit(2)
    with concurrency(name, occupy=2):
        pass
    with open_client() as other:  # not the client that took the slots
        read = other.read_concurrency_limit(name)
    assert read.active_slots == 0 and read.holders == []


def test_a_failed_request_still_gives_back_what_it_carried(store: str, slow_thread: None) -> None:
    name = _limit(1)
    with concurrency(name):
        pass
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ConcurrencyLimitNotFound), concurrency(missing, strict=True):
        pass
    assert _held_unsettled(name) == 0


def test_a_process_that_exits_leaves_nothing_held(store: str, tmp_path: Path) -> None:
    name = _limit(1)
    script = textwrap.dedent(
        f"""
        from headwater.client import releases
        from headwater.concurrency.sync import concurrency
        releases.GRACE_SECONDS = 60.0  # only the exit gives it back
        with concurrency({name!r}):
            pass
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _held_unsettled(name) == 0  # not one lease duration (60 s) later


def test_the_api_gives_back_carried_leases_first(
    shared_servers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from headwater.concurrency.slots import client_and_runs

    server: ServerProcess = shared_servers.get("sqlite")
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    url = client_and_runs()[0].api_url + "/concurrency_limits/acquire"
    name = _limit(1)
    with httpx.Client(timeout=30) as http:
        first = http.post(url, json={"names": [name]}).json()
        assert first["lease_id"]
        second = http.post(url, json={"names": [name]}).json()
        assert second["lease_id"] is None  # full
        third = http.post(url, json={"names": [name], "release": [first["lease_id"]]}).json()
        assert third["lease_id"] and third["lease_id"] != first["lease_id"]
        bad = http.post(url, json={"names": [name], "release": ["not-a-uuid"]})
        assert bad.status_code == 422 and "release" in bad.text
        many = http.post(url, json={"names": [name], "release": [str(uuid.uuid4())] * 101})
        assert many.status_code == 422 and "release" in many.text
        http.post(
            url.removesuffix("/concurrency_limits/acquire")
            + f"/leases/{third['lease_id']}/release",
            json={},
        )
    assert _held_unsettled(name) == 0


def test_without_a_thread_the_release_is_given_back_at_once(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Refused(threading.Thread):
        def start(self) -> None:  # as at interpreter shutdown
            raise RuntimeError("can't create new thread at interpreter shutdown")

    # A fresh list, and this module's threads refused (the store's own still start).
    monkeypatch.setattr(releases, "_pending", releases._Pending())
    monkeypatch.setattr(
        releases,
        "threading",
        types.SimpleNamespace(Thread=Refused, Lock=threading.Lock, Condition=threading.Condition),
    )
    name = _limit(1)
    with concurrency(name):
        pass
    assert _held_unsettled(name) == 0


def test_a_read_does_not_wait_for_a_request_that_carried_a_release(
    store: str, slow_thread: None
) -> None:
    from headwater.schemas.concurrency import SlotRequest

    name = _limit(2)
    with open_client() as other:
        # Someone else holds one slot; this process takes the other and leaves it.
        held = other.acquire_concurrency_slots(SlotRequest(names=[name], holder="other"))
        assert held.lease_id is not None
        with concurrency(name):
            pass
        # A thread asks for both: it carries the release, then waits for the other slot.
        got = threading.Event()

        def both() -> None:
            with concurrency(name, occupy=2, timeout_seconds=60):
                got.set()

        waiter = threading.Thread(target=both)
        waiter.start()
        deadline = time.monotonic() + 30
        while _unsettled(name)["queue_length"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        read = other.read_concurrency_limit(name)  # settles this process's releases
        took = time.monotonic() - start
        assert read.active_slots == 1 and read.queue_length == 1
        other.release_lease(held.lease_id)
        waiter.join(30)
    assert got.is_set()
    assert took < 2.0  # waited for the waiter's whole wait (10 s) before
