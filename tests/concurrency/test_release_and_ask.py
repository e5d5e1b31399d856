"""A request for slots that carries the asker's release (``SlotRequest.release``): the
release hands its slots to the head of the queue and the asker keeps its place at the
tail in one transaction, in few statements on PostgreSQL too
(``server/store/concurrency_limits.py``, ``handoff.py``), first come first served,
never over the limit, and with no waiter missed.  Real SQLite files and real
PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from sqlalchemy import select, text

from headwater.core.wake import GRANTED, WakeSocket
from headwater.schemas.concurrency import SlotGrant, SlotRequest
from headwater.server.db.database import Database
from headwater.server.db.tables import concurrency_limits, leases
from headwater.server.store import concurrency_limits as store
from headwater.server.store import slot_counts
from tests.concurrency._store import new_limit, waiting, work


def _ask(
    db: Database,
    name: str,
    *,
    slots: int = 1,
    ticket: uuid.UUID | None = None,
    wake: str | None = None,
    release: list[uuid.UUID] | None = None,
) -> SlotGrant:
    request = SlotRequest(
        names=[name],
        slots=slots,
        ticket=ticket,
        wait_seconds=5 if wake else 0,
        release=release or [],
    )
    with db.begin_write() as conn:
        grant, _ = store.acquire_slots(
            conn, request=request, default_duration=60.0, wake_address=wake
        )
    return grant


def _state(db: Database, name: str, limit_id: uuid.UUID) -> tuple[int, set[uuid.UUID], int]:
    """``held`` on the row (it must equal the lease rows' slots), the leases, the queue."""
    with db.begin_read() as conn:
        held = conn.execute(
            select(concurrency_limits.c.held).where(concurrency_limits.c.id == limit_id)
        ).scalar_one()
        rows = conn.execute(
            select(leases.c.id, leases.c.slots).where(leases.c.resource == store.resource(limit_id))
        ).all()
        queued = store.read_limit(conn, name=name).queue_length
    assert held == sum(row.slots for row in rows)
    return int(held), {row.id for row in rows}, queued


def test_a_release_carried_by_the_next_ask_hands_off_then_queues(
    db: Database, statements: list[str]
) -> None:
    name, limit_id = new_limit(db, 1)
    holder = _ask(db, name).lease_id
    assert holder is not None
    first, again = WakeSocket(), WakeSocket()
    try:
        waiter = uuid.uuid4()
        assert _ask(db, name, ticket=waiter, wake=first.address).lease_id is None
        statements.clear()
        mine = uuid.uuid4()
        grant = _ask(db, name, ticket=mine, wake=again.address, release=[holder])
        sent = work(statements)
        # The slot went to the waiter ahead; the asker queued behind it.
        assert grant.lease_id is None and grant.limits == [name]
        assert _state(db, name, limit_id) == (1, {waiter}, 1)
        assert first.receive(5) == [waiter.bytes + GRANTED]
        if not db.is_sqlite:
            # The lease's rows deleted, counted off the limit's row (locking it), the
            # hand-off and the place kept in one statement: three statements (the
            # release and the ask were eleven, ten of them with the row locked).
            assert len(sent) == 3, sent
        # The waiter gives its slot back the same way: the asker is handed it.
        assert _ask(db, name, release=[waiter]).lease_id is None
        assert _state(db, name, limit_id) == (1, {mine}, 0)
        assert again.receive(5) == [mine.bytes + GRANTED]
    finally:
        first.close()
        again.close()


def test_an_asker_handed_its_own_release_holds_the_lease(db: Database) -> None:
    """Asking again with a ticket at the head of the queue and a release of the same
    limit (another thread's, carried by this ask): the hand-off gives the ticket the
    slot, and the ask finds it instead of queueing."""
    name, limit_id = new_limit(db, 1)
    holder = _ask(db, name).lease_id
    assert holder is not None
    sock = WakeSocket()
    try:
        ticket, behind = uuid.uuid4(), uuid.uuid4()
        assert _ask(db, name, ticket=ticket, wake=sock.address).lease_id is None
        assert _ask(db, name, ticket=behind, wake=sock.address).lease_id is None
        grant = _ask(db, name, ticket=ticket, wake=sock.address, release=[holder])
        assert grant.lease_id == ticket and grant.limits == [name]
        assert _state(db, name, limit_id) == (1, {ticket}, 1)
    finally:
        sock.close()


def test_an_asker_whose_release_leaves_room_takes_the_slot(db: Database) -> None:
    name, limit_id = new_limit(db, 2)
    first = _ask(db, name).lease_id
    assert first is not None and _ask(db, name).lease_id is not None
    sock = WakeSocket()
    try:
        ticket = uuid.uuid4()
        grant = _ask(db, name, ticket=ticket, wake=sock.address, release=[first])
        assert grant.lease_id == ticket
        assert _state(db, name, limit_id)[0::2] == (2, 0)
        # Full again, nobody queued: the next one queues (the release of a lease that
        # is gone frees nothing).
        again = uuid.uuid4()
        grant = _ask(db, name, ticket=again, wake=sock.address, release=[first])
        assert grant.lease_id is None and _state(db, name, limit_id)[0::2] == (2, 1)
    finally:
        sock.close()


def test_a_release_hands_its_slots_to_the_longest_prefix_of_the_queue_that_fits(
    db: Database,
) -> None:
    name, limit_id = new_limit(db, 3)
    holder = _ask(db, name, slots=3).lease_id
    assert holder is not None
    socks = [WakeSocket() for _ in range(4)]
    try:
        one, two, three, four = (uuid.uuid4() for _ in range(4))
        for ticket, slots, sock in ((one, 1, 0), (two, 2, 1), (three, 1, 2)):
            grant = _ask(db, name, slots=slots, ticket=ticket, wake=socks[sock].address)
            assert grant.lease_id is None
        # Handed the three slots: the first two (1 + 2); the third waits.
        grant = _ask(db, name, slots=2, ticket=four, wake=socks[3].address, release=[holder])
        assert grant.lease_id is None
        assert _state(db, name, limit_id) == (3, {one, two}, 2)
        assert socks[0].receive(5) == [one.bytes + GRANTED]
        assert socks[1].receive(5) == [two.bytes + GRANTED]
        assert not socks[2].wait(0.05)
        # The first one's slot: the third fits; then the fourth (2 slots) does not.
        assert _ask(db, name, release=[one]).lease_id is None  # queued behind, no ticket
        assert _state(db, name, limit_id) == (3, {two, three}, 1)
        assert socks[2].receive(5) == [three.bytes + GRANTED]
    finally:
        for sock in socks:
            sock.close()


def test_a_waiter_that_cannot_be_handed_its_slots_stops_the_hand_off(db: Database) -> None:
    """A waiter without a wake address is woken (here: cannot be) to ask itself;
    nobody behind it passes it."""
    name, limit_id = new_limit(db, 2)
    holder = _ask(db, name, slots=2).lease_id
    assert holder is not None
    sock = WakeSocket()
    try:
        first, silent, last = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        assert _ask(db, name, ticket=first, wake=sock.address).lease_id is None
        with db.begin_write() as conn:  # queued with no wake address
            request = SlotRequest(names=[name], ticket=silent, wait_seconds=5)
            grant, _ = store.acquire_slots(conn, request=request, default_duration=60.0)
        assert grant.lease_id is None
        assert _ask(db, name, ticket=last, wake=sock.address).lease_id is None
        assert _ask(db, name, release=[holder]).lease_id is None
        assert _state(db, name, limit_id) == (1, {first}, 2)
    finally:
        sock.close()


def test_a_release_of_another_limit_leaves_the_ask_to_the_full_path(db: Database) -> None:
    name, limit_id = new_limit(db, 1)
    other, other_id = new_limit(db, 1)
    assert _ask(db, name).lease_id is not None
    elsewhere = _ask(db, other).lease_id
    assert elsewhere is not None
    sock = WakeSocket()
    try:
        ticket = uuid.uuid4()
        grant = _ask(db, name, ticket=ticket, wake=sock.address, release=[elsewhere])
        assert grant.lease_id is None and grant.limits == [name]
        assert _state(db, other, other_id) == (0, set(), 0)
        assert _state(db, name, limit_id)[2] == 1
    finally:
        sock.close()


def test_postgres_keeps_a_place_in_one_statement_only_under_the_limits_row_lock(
    db: Database,
) -> None:
    """Without the limit's row locked by an earlier statement the one-statement
    place-keeping is not used (its snapshot could miss a release committed while it
    waited for the row); SQLite's write lock always holds it."""
    name, limit_id = new_limit(db, 1)
    assert _ask(db, name).lease_id is not None
    request = SlotRequest(names=[name], ticket=uuid.uuid4(), wait_seconds=5)
    other = f"limit:{uuid.uuid4()}"
    for locked in (None, {other}, {store.resource(limit_id)}):
        with db.begin_write() as conn:
            queued = slot_counts.queue_full(
                conn,
                request=request,
                default_duration=60.0,
                wake_address="here|waiter",
                waiter_ttl=10.0,
                now=time.time(),
                locked=locked,
            )
        expected = db.is_sqlite or locked == {store.resource(limit_id)}
        assert (queued is not None) == expected, locked
    assert _state(db, name, limit_id)[2] == 1


def test_a_waiter_queued_while_the_release_waited_for_the_row_is_handed_the_slot(
    pg: Database,
) -> None:
    """A waiter queues (holding the limit's row) while a release carried by another
    ask waits for that row: the release's hand-off, a statement after the one that
    waited, sees the waiter and hands it the slot (a hand-off read with the waiting
    statement's snapshot would miss it: a lost wake-up until the waiter's refresh)."""
    name, limit_id = new_limit(pg, 1)
    holder = _ask(pg, name).lease_id
    assert holder is not None
    waiter_sock, asker_sock = WakeSocket(), WakeSocket()
    waiter, asker = uuid.uuid4(), uuid.uuid4()
    found: dict[str, Any] = {}

    def release_and_ask() -> None:
        try:
            found["grant"] = _ask(pg, name, ticket=asker, wake=asker_sock.address, release=[holder])
        except BaseException as exc:  # pragma: no cover - reported below
            found["error"] = exc

    try:
        with pg.begin_write() as conn:
            request = SlotRequest(names=[name], ticket=waiter, wait_seconds=5)
            grant, _ = store.acquire_slots(
                conn, request=request, default_duration=60.0, wake_address=waiter_sock.address
            )
            assert grant.lease_id is None  # queued; the row stays locked until commit
            pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
            thread = threading.Thread(target=release_and_ask, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not any(waiting(pg, other) for other in _backends(pg, exclude=pid)):
                assert time.monotonic() < deadline, "the release never waited for the row"
                time.sleep(0.01)
        thread.join(30)
        assert not thread.is_alive() and "error" not in found, found
        assert found["grant"].lease_id is None
        assert _state(pg, name, limit_id) == (1, {waiter}, 1)
        assert waiter_sock.receive(5) == [waiter.bytes + GRANTED]
    finally:
        waiter_sock.close()
        asker_sock.close()


def _backends(db: Database, exclude: int) -> list[int]:
    with db.begin_read() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> :pid AND pid <> pg_backend_pid()"
                ),
                {"pid": exclude},
            ).scalars()
        )
