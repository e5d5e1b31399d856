"""``headwater.concurrency.sync`` and ``.asyncio``: concurrency and rate_limit, inside
and outside flows, on the embedded store and through a server."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from headwater import flow, task
from headwater.client import open_client
from headwater.concurrency import asyncio as aio
from headwater.concurrency.sync import concurrency, rate_limit
from headwater.exceptions import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencyLimitNotFound,
    ConcurrencySlotAcquisitionError,
)
from headwater.schemas.concurrency import ConcurrencyLimitCreate
from tests._servers import ServerProcess


def _create(name: str, limit: int, decay: float = 0.0) -> None:
    with open_client() as client:
        client.create_concurrency_limit(
            ConcurrencyLimitCreate(name=name, limit=limit, slot_decay_per_second=decay)
        )


def _read(name: str):  # type: ignore[no-untyped-def]
    with open_client() as client:
        return client.read_concurrency_limit(name)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The embedded store, or the shared server (names of this test's own)."""
    if request.param == "server":
        server: ServerProcess = request.getfixturevalue("shared_servers").get("sqlite")
        monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    return request.param


def test_concurrency_holds_slots_for_the_block(store: str) -> None:
    name = f"db-{uuid.uuid4().hex[:8]}"
    _create(name, 3)
    with concurrency(name, occupy=2):
        read = _read(name)
        assert read.active_slots == 2 and read.holders[0].slots == 2
        with (
            pytest.raises(AcquireConcurrencySlotTimeoutError),
            concurrency(name, occupy=2, timeout_seconds=0.3),
        ):
            pass
        with concurrency([name], occupy=1, timeout_seconds=1):
            assert _read(name).active_slots == 3
    assert _read(name).active_slots == 0 and _read(name).queue_length == 0


def test_inside_a_flow_and_task_slots_name_their_runs(store: str) -> None:
    name = f"api-{uuid.uuid4().hex[:8]}"
    _create(name, 1)
    seen = {}

    @task
    def call() -> None:
        with concurrency(name):
            holder = _read(name).holders[0]
            seen["task"] = (holder.flow_run_id, holder.task_run_id)

    @flow
    def run_it() -> None:
        with concurrency(name):
            seen["flow"] = _read(name).holders[0].flow_run_id
        call()

    run_it()
    assert seen["flow"] is not None and seen["task"][0] == seen["flow"]
    assert seen["task"][1] is not None
    assert _read(name).active_slots == 0


def test_waiters_are_served_first_come_first_served(store: str) -> None:
    name = f"fifo-{uuid.uuid4().hex[:8]}"
    _create(name, 1)
    order: list[int] = []
    started = []

    def worker(i: int) -> None:
        with concurrency(name, timeout_seconds=20):
            order.append(i)
            time.sleep(0.02)

    with concurrency(name):
        for i in range(4):
            thread = threading.Thread(target=worker, args=(i,))
            thread.start()
            started.append(thread)
            deadline = time.monotonic() + 5
            while _read(name).queue_length < i + 1:  # queued in this order
                assert time.monotonic() < deadline
                time.sleep(0.01)
    for thread in started:
        thread.join(20)
    assert order == [0, 1, 2, 3]


def test_missing_limits_do_not_block_unless_strict(store: str) -> None:
    name = f"none-{uuid.uuid4().hex[:8]}"
    with concurrency(name):
        pass
    rate_limit(name)
    with pytest.raises(ConcurrencyLimitNotFound), concurrency(name, strict=True):
        pass
    with pytest.raises(ConcurrencyLimitNotFound):
        rate_limit(name, strict=True)


def test_max_retries_gives_up(store: str) -> None:
    name = f"busy-{uuid.uuid4().hex[:8]}"
    _create(name, 0)
    start = time.monotonic()
    with (
        pytest.raises(ConcurrencySlotAcquisitionError, match="retries"),
        concurrency(name, max_retries=1),
    ):
        pass
    assert time.monotonic() - start < 5
    assert _read(name).queue_length == 0  # it left the queue


def test_rate_limit_passes_calls_at_the_decay_rate(store: str) -> None:
    name = f"rate-{uuid.uuid4().hex[:8]}"
    _create(name, 1, decay=5)
    start = time.monotonic()
    for _ in range(6):
        rate_limit(name)
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 2.5  # the first at once, then one every 0.2 s
    with pytest.raises(ConcurrencySlotAcquisitionError, match="slot decay"):
        _create(f"{name}-plain", 2)
        rate_limit(f"{name}-plain")


def test_asyncio_concurrency_and_rate_limit(store: str) -> None:
    name = f"aio-{uuid.uuid4().hex[:8]}"
    _create(name, 1, decay=0.2)  # a rate-limited slot decays in 5 s
    inside = []

    async def one(i: int) -> None:
        async with aio.concurrency(name, timeout_seconds=10):
            inside.append(_read(name).active_slots)
            await asyncio.sleep(0.05)

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(3)))
        await aio.rate_limit(name)
        with pytest.raises(AcquireConcurrencySlotTimeoutError):
            async with aio.concurrency(name, occupy=1, timeout_seconds=0.01):
                pass

    asyncio.run(main())
    assert inside == [1, 1, 1]


def test_a_cancelled_async_waiter_leaves_nothing_held(store: str) -> None:
    name = f"cancel-{uuid.uuid4().hex[:8]}"
    _create(name, 1)

    async def main() -> None:
        with concurrency(name):
            waiter = asyncio.ensure_future(aio.concurrency(name).__aenter__())
            await asyncio.sleep(0.5)
            waiter.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiter
        await asyncio.sleep(1.0)  # the waiting thread got the slot and gave it back

    asyncio.run(main())
    read = _read(name)
    assert read.active_slots == 0 and read.queue_length == 0
