"""Concurrency limits: create, read, list, update, reset, delete; taking slots (all
or none, first come first served, waiting), rate limits that decay."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import (
    ConcurrencyLimitNotFound,
    ConcurrencySlotAcquisitionError,
    ObjectAlreadyExists,
)
from headwater.schemas.concurrency import (
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    SlotRequest,
)


def _name(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _ask(*names: str, **kw: object) -> SlotRequest:
    return SlotRequest(names=list(names), holder="conformance", **kw)  # type: ignore[arg-type]


class ConcurrencyContract:
    def test_concurrency_limits_are_created_read_changed_and_deleted(self, client: Client) -> None:
        name, tag = _name(), "tag:" + _name()
        made = client.create_concurrency_limit(ConcurrencyLimitCreate(name=name, limit=2))
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=tag, limit=1))
        assert (made.name, made.limit, made.active, made.active_slots) == (name, 2, True, 0)
        with pytest.raises(ObjectAlreadyExists):
            client.create_concurrency_limit(ConcurrencyLimitCreate(name=name, limit=3))
        assert client.read_concurrency_limit(name).id == made.id
        tag_names = {found.name for found in client.read_concurrency_limits(tags=True)}
        other_names = {found.name for found in client.read_concurrency_limits(tags=False)}
        assert tag in tag_names and name not in tag_names
        assert name in other_names and tag not in other_names
        changed = client.update_concurrency_limit(
            name, ConcurrencyLimitUpdate(limit=5, active=False, slot_decay_per_second=2.5)
        )
        assert (changed.limit, changed.active, changed.slot_decay_per_second) == (5, False, 2.5)
        with pytest.raises(ConcurrencyLimitNotFound):
            client.update_concurrency_limit(_name(), ConcurrencyLimitUpdate(limit=1))
        assert client.delete_concurrency_limit(name) and client.delete_concurrency_limit(tag)
        assert not client.delete_concurrency_limit(name)
        with pytest.raises(ConcurrencyLimitNotFound):
            client.read_concurrency_limit(name)

    def test_slots_are_taken_all_or_none_and_given_back(self, client: Client) -> None:
        one, two = _name(), _name()
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=one, limit=2))
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=two, limit=1))
        first = client.acquire_concurrency_slots(_ask(one, two, lease_duration=30))
        assert first.lease_id is not None and first.limits == sorted([one, two])
        assert first.lease_duration == 30
        refused = client.acquire_concurrency_slots(_ask(one, two))
        assert refused.lease_id is None and refused.limits == sorted([one, two])
        alone = client.acquire_concurrency_slots(_ask(one))  # `one` has room for two
        assert alone.lease_id is not None
        read = client.read_concurrency_limit(one)
        assert read.active_slots == 2 and {h.lease_id for h in read.holders} == {
            first.lease_id,
            alone.lease_id,
        }
        assert client.release_lease(first.lease_id)
        assert client.read_concurrency_limit(two).active_slots == 0
        assert client.reset_concurrency_limit(one) == 1
        assert client.read_concurrency_limit(one).active_slots == 0
        with pytest.raises(ConcurrencyLimitNotFound):
            client.reset_concurrency_limit(_name())

    def test_missing_inactive_and_zero_limits(self, client: Client) -> None:
        missing, zero, off = _name(), _name(), _name()
        free = client.acquire_concurrency_slots(_ask(missing))
        assert (free.lease_id, free.limits, free.missing) == (None, [], [missing])
        with pytest.raises(ConcurrencyLimitNotFound):
            client.acquire_concurrency_slots(_ask(missing, strict=True))
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=zero, limit=0))
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=off, limit=0, active=False))
        blocked = client.acquire_concurrency_slots(_ask(zero, wait_seconds=0.2))
        assert blocked.lease_id is None and blocked.limits == [zero]
        assert client.acquire_concurrency_slots(_ask(off)).limits == []
        with pytest.raises(ConcurrencySlotAcquisitionError):
            client.acquire_concurrency_slots(_ask(zero, mode="rate_limit"))

    def test_a_waiter_is_woken_when_a_slot_frees(self, client: Client) -> None:
        name = _name()
        client.create_concurrency_limit(ConcurrencyLimitCreate(name=name, limit=1))
        held = client.acquire_concurrency_slots(_ask(name))
        assert held.lease_id is not None
        ticket = uuid.uuid4()
        got: list[float] = []

        def waiter() -> None:
            grant = client.acquire_concurrency_slots(_ask(name, ticket=ticket, wait_seconds=8))
            got.append(time.monotonic())
            assert grant.lease_id is not None

        thread = threading.Thread(target=waiter)
        thread.start()
        deadline = time.monotonic() + 5
        while client.read_concurrency_limit(name).queue_length == 0:
            assert time.monotonic() < deadline, "the waiter never queued"
            time.sleep(0.02)
        released = time.monotonic()
        client.release_lease(held.lease_id)
        thread.join(10)
        assert got and got[0] - released < 1.0  # woken, not on a timer
        other = uuid.uuid4()
        assert client.acquire_concurrency_slots(_ask(name, ticket=other)).lease_id is None
        client.leave_concurrency_queue(other)
        assert client.read_concurrency_limit(name).queue_length == 0

    def test_rate_limits_decay(self, client: Client) -> None:
        name = _name()
        client.create_concurrency_limit(
            ConcurrencyLimitCreate(name=name, limit=2, slot_decay_per_second=0.5)
        )
        rate = _ask(name, mode="rate_limit")
        asked = time.time()
        assert client.acquire_concurrency_slots(rate).lease_id is not None
        granted = time.time()
        assert client.acquire_concurrency_slots(rate).lease_id is not None
        assert client.acquire_concurrency_slots(rate).lease_id is None
        holders = client.read_concurrency_limit(name).holders
        assert all(h.decaying for h in holders)
        first_ends = min(h.expires for h in holders).timestamp()
        # One slot decays every 2 s, counted from its own grant (not from now: a loaded
        # machine may take a while between the grant and this read).
        assert asked + 2.0 - 0.05 <= first_ends <= granted + 2.0 + 0.05
        ask = rate.model_copy(update={"wait_seconds": 6, "ticket": uuid.uuid4()})
        grant = client.acquire_concurrency_slots(ask)  # woken by the decay timer
        assert grant.lease_id is not None
        assert first_ends - 0.05 <= time.time() < first_ends + 1.5
