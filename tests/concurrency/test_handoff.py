"""A release hands its slots to the head of the limit's queue in its own transaction
(``server/store/handoff.py``): first come first served, the count on the limit's row
unchanged, the waiter woken holding its lease; a waiter that leaves or whose process
is gone gives them back.  Real SQLite files and real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from headwater.core.wake import GRANTED, WakeSocket
from headwater.schemas.concurrency import SlotRequest
from headwater.server.db.database import Database
from headwater.server.db.tables import concurrency_limits, leases
from headwater.server.store import concurrency_limits as store
from headwater.server.store import leases as lease_store
from tests.concurrency._store import new_limit


def _ask(db: Database, name: str, ticket: uuid.UUID | None, address: str | None) -> Any:
    with db.begin_write() as conn:
        grant, _ = store.acquire_slots(
            conn,
            request=SlotRequest(names=[name], ticket=ticket, wait_seconds=5 if address else 0),
            default_duration=60.0,
            wake_address=address,
        )
    return grant


def _release(db: Database, lease_id: uuid.UUID) -> None:
    with db.begin_write() as conn:
        assert lease_store.release(conn, lease_id=lease_id)


def _state(db: Database, name: str, limit_id: uuid.UUID) -> tuple[int, int, list[uuid.UUID]]:
    """``held`` on the row, the queue's length, the leases' ids."""
    with db.begin_read() as conn:
        held = conn.execute(
            select(concurrency_limits.c.held).where(concurrency_limits.c.id == limit_id)
        ).scalar_one()
        ids = list(
            conn.execute(
                select(leases.c.id).where(leases.c.resource == store.resource(limit_id))
            ).scalars()
        )
        queued = store.read_limit(conn, name=name).queue_length
    return int(held), queued, ids


def test_a_release_hands_the_slot_to_the_first_waiter(db: Database) -> None:
    name, limit_id = new_limit(db, 1)
    holder = _ask(db, name, None, None).lease_id
    first, second = WakeSocket(), WakeSocket()
    try:
        one, two = uuid.uuid4(), uuid.uuid4()
        assert _ask(db, name, one, first.address).lease_id is None
        assert _ask(db, name, two, second.address).lease_id is None
        _release(db, holder)
        # The first waiter holds its lease (the ticket's id) and was told; the second
        # still waits; the count is the same one slot.
        assert _state(db, name, limit_id) == (1, 1, [one])
        # Its wake-up says it holds the lease (nothing to look up).
        assert first.receive(5) == [one.bytes + GRANTED] and not second.wait(0)
        again = _ask(db, name, one, first.address)  # asking again finds the lease
        assert again.lease_id == one and again.limits == [name]
        assert _state(db, name, limit_id) == (1, 1, [one])
        _release(db, one)
        assert _state(db, name, limit_id) == (1, 0, [two])
        assert second.wait(5)
    finally:
        first.close()
        second.close()


def test_a_waiter_that_leaves_after_being_handed_the_slot_gives_it_back(db: Database) -> None:
    name, limit_id = new_limit(db, 1)
    holder = _ask(db, name, None, None).lease_id
    sock = WakeSocket()
    try:
        ticket = uuid.uuid4()
        assert _ask(db, name, ticket, sock.address).lease_id is None
        _release(db, holder)
        assert _state(db, name, limit_id) == (1, 0, [ticket])
        with db.begin_write() as conn:  # timed out meanwhile: leaves instead
            lease_store.leave_queue(conn, ticket=ticket)
        assert _state(db, name, limit_id) == (0, 0, [])
    finally:
        sock.close()


def test_a_slot_handed_to_a_waiter_whose_process_is_gone_goes_to_the_next(
    db: Database,
) -> None:
    name, limit_id = new_limit(db, 1)
    holder = _ask(db, name, None, None).lease_id
    gone, alive = WakeSocket(), WakeSocket()
    try:
        dead, live = uuid.uuid4(), uuid.uuid4()
        assert _ask(db, name, dead, gone.address).lease_id is None
        assert _ask(db, name, live, alive.address).lease_id is None
        gone.close()  # its process died: nobody is bound to its address any more
        _release(db, holder)
        assert _state(db, name, limit_id) == (1, 0, [live])
        assert alive.wait(5)
    finally:
        alive.close()


def test_a_waiter_for_several_limits_is_woken_not_handed(db: Database) -> None:
    """Only single-limit waiters are handed slots; the others ask for themselves."""
    name, limit_id = new_limit(db, 1)
    other, _ = new_limit(db, 5)
    holder = _ask(db, name, None, None).lease_id
    sock = WakeSocket()
    try:
        ticket = uuid.uuid4()
        with db.begin_write() as conn:
            grant, _ = store.acquire_slots(
                conn,
                request=SlotRequest(names=[name, other], ticket=ticket, wait_seconds=5),
                default_duration=60.0,
                wake_address=sock.address,
            )
        assert grant.lease_id is None
        _release(db, holder)
        assert _state(db, name, limit_id) == (0, 1, [])
        assert sock.wait(5)
        with db.begin_write() as conn:
            grant, _ = store.acquire_slots(
                conn,
                request=SlotRequest(names=[name, other], ticket=ticket, wait_seconds=5),
                default_duration=60.0,
                wake_address=sock.address,
            )
        assert grant.lease_id == ticket
    finally:
        sock.close()
