"""Leases: capacity, expiry and renewal, first-come-first-served waiting, wake-ups
after commit, and what ends a lease (release, a run that ended, expiry)."""

from __future__ import annotations

import time
import uuid

import pytest

from headwater.core.wake import WakeSocket
from headwater.server.db.database import get_database
from headwater.server.services import leases as lease_service
from headwater.server.store import flow_runs, leases
from headwater.states import Completed, Running

R = "limit:r"


def _acquire(db, slots=1, capacity=2, duration=60.0, ticket=None, wake=None, **kw):
    lease_id = uuid.uuid4()
    with db.begin_write() as conn:
        admission = leases.acquire(
            conn,
            lease_id=lease_id,
            resources={R: slots},
            capacities={R: capacity},
            holder="test",
            duration=duration,
            ticket=ticket,
            wake_address=wake,
            **kw,
        )
    return lease_id if admission.admitted else None, admission


def _held(db) -> int:
    with db.begin_read() as conn:
        return leases.held_slots(conn, resources=[R]).get(R, 0)


def test_capacity_release_and_all_or_nothing(database_url: str) -> None:
    db = get_database(database_url)
    first, _ = _acquire(db)
    second, _ = _acquire(db)
    third, refused = _acquire(db)
    assert first and second and third is None
    assert refused.free == {R: 0} and refused.retry_at is not None
    assert _held(db) == 2
    with db.begin_write() as conn:  # two resources: one full means neither is taken
        admission = leases.acquire(
            conn,
            lease_id=uuid.uuid4(),
            resources={R: 1, "limit:other": 1},
            capacities={R: 2, "limit:other": 5},
            holder="test",
            duration=60,
        )
    assert not admission.admitted
    with db.begin_read() as conn:
        assert leases.held_slots(conn, resources=["limit:other"]) == {}
    with db.begin_write() as conn:
        assert leases.release(conn, lease_id=first)
        assert not leases.release(conn, lease_id=first)
    assert _held(db) == 1


def test_an_expired_lease_holds_nothing_and_cannot_be_renewed(database_url: str) -> None:
    # The clock is passed in, so a slow machine cannot expire a lease early.
    db = get_database(database_url)
    t0 = time.time()
    short, _ = _acquire(db, capacity=1, duration=10, now=t0)
    kept, _ = _acquire(db, capacity=2, duration=20, now=t0)
    assert short and kept
    with db.begin_write() as conn:
        assert leases.renew(conn, lease_ids=[kept], now=t0 + 1) == {kept}  # until t0 + 21
        rows = leases.read_leases(conn, resources=[R], now=t0 + 1)
    assert {row["id"] for row in rows} == {short, kept}
    with db.begin_write() as conn:  # short expired at t0 + 10: only kept is renewed
        assert leases.renew(conn, lease_ids=[short, kept], now=t0 + 11) == {kept}
    with db.begin_read() as conn:
        assert leases.held_slots(conn, resources=[R], now=t0 + 11).get(R, 0) == 1
        assert leases.held_slots(conn, resources=[R], now=t0 + 32).get(R, 0) == 0
    assert lease_service.run_once(db, now=t0 + 32) == 2  # the rows go too
    assert lease_service.run_once(db, now=t0 + 32) == 0


def test_waiters_are_admitted_first_come_first_served(database_url: str) -> None:
    db = get_database(database_url)
    holder, _ = _acquire(db, capacity=1)
    early, late = uuid.uuid4(), uuid.uuid4()
    assert _acquire(db, capacity=1, ticket=early)[0] is None
    assert _acquire(db, capacity=1, ticket=late)[0] is None
    with db.begin_read() as conn:
        assert leases.queue_lengths(conn, resources=[R]) == {R: 2}
    with db.begin_write() as conn:
        leases.release(conn, lease_id=holder)
    # Free, but two are queued: a newcomer and the later waiter must not overtake.
    nobody, admission = _acquire(db, capacity=1)
    assert nobody is None and admission.ahead == {R: 2} and admission.free == {R: 1}
    assert _acquire(db, capacity=1, ticket=late)[0] is None
    got, _ = _acquire(db, capacity=1, ticket=early)
    assert got
    with db.begin_write() as conn:
        leases.release(conn, lease_id=got)
    assert _acquire(db, capacity=1, ticket=late)[0]
    with db.begin_read() as conn:
        assert leases.queue_lengths(conn, resources=[R]) == {}


def test_the_head_waiter_is_woken_after_commit(database_url: str) -> None:
    db = get_database(database_url)
    holder, _ = _acquire(db, capacity=1)
    sock = WakeSocket()
    try:
        ticket = uuid.uuid4()
        assert _acquire(db, capacity=1, ticket=ticket, wake=sock.address)[0] is None
        with pytest.raises(RuntimeError), db.begin_write() as conn:
            leases.release(conn, lease_id=holder)
            raise RuntimeError("rolled back")
        assert not sock.wait(0.05)  # a rolled-back release wakes nobody
        with db.begin_write() as conn:
            leases.release(conn, lease_id=holder)
            assert not sock.wait(0)  # not before the commit
        assert sock.drain() == [ticket.bytes] or sock.wait(1.0)
        assert _acquire(db, capacity=1, ticket=ticket, wake=sock.address)[0]
    finally:
        sock.close()


def test_a_dead_head_waiter_is_skipped(database_url: str) -> None:
    db = get_database(database_url)
    gone = WakeSocket()
    dead_ticket = uuid.uuid4()
    assert _acquire(db, capacity=0, ticket=dead_ticket, wake=gone.address)[0] is None
    gone.close()  # its process died
    got, _ = _acquire(db, capacity=1)
    assert got
    with db.begin_read() as conn:
        assert leases.queue_lengths(conn, resources=[R]) == {}


def test_leaving_the_queue_wakes_the_next(database_url: str) -> None:
    db = get_database(database_url)
    first, second = uuid.uuid4(), uuid.uuid4()
    sock = WakeSocket()
    try:
        assert _acquire(db, capacity=0, ticket=first)[0] is None
        assert _acquire(db, capacity=0, ticket=second, wake=sock.address)[0] is None
        with db.begin_write() as conn:
            leases.leave_queue(conn, ticket=first)
        assert sock.wait(1.0)
    finally:
        sock.close()


def test_a_run_that_ends_frees_its_leases(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn, flow_run={"flow_name": "f", "name": "r"}, state=Running()
        )
    held, _ = _acquire(db, flow_run_id=run["id"])
    other, _ = _acquire(db)
    assert held and other and _held(db) == 2
    with db.begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=Completed())
    assert _held(db) == 1
