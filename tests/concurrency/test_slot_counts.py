"""The slots held on a limit's row (``held``) follow its lease rows through every way
of taking and giving back slots, and an uncontended slot is one statement
(``server/store/slot_counts.py``).  Real SQLite files and real PostgreSQL."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import func, select

from headwater.schemas.concurrency import SlotRequest
from headwater.server.db.database import Database
from headwater.server.db.tables import concurrency_limits, leases
from headwater.server.store import concurrency_limits as store
from headwater.server.store import leases as lease_store
from tests.concurrency._store import new_limit, work


def _acquire(db: Database, *names: str, now: float | None = None) -> Any:
    with db.begin_write() as conn:
        grant, _ = store.acquire_slots(
            conn, request=SlotRequest(names=list(names)), default_duration=60.0, now=now
        )
    return grant.lease_id


def _held(db: Database, limit_id: uuid.UUID) -> tuple[int, int]:
    """``held`` on the row, and the slots of the lease rows it should equal."""
    with db.begin_read() as conn:
        held = conn.execute(
            select(concurrency_limits.c.held).where(concurrency_limits.c.id == limit_id)
        ).scalar_one()
        rows = conn.execute(
            select(func.coalesce(func.sum(leases.c.slots), 0)).where(
                leases.c.resource == store.resource(limit_id)
            )
        ).scalar_one()
    return int(held), int(rows)


def test_an_uncontended_slot_is_taken_in_one_statement(db: Database, statements: list[str]) -> None:
    name, limit_id = new_limit(db, 2)
    statements.clear()
    lease_id = _acquire(db, name)
    assert lease_id is not None
    sent = work(statements)
    # PostgreSQL: the UPDATE of the limit and the INSERT of the lease are one statement;
    # SQLite (no round trips): the same two statements in the write transaction.
    assert len(sent) == (1 if db.dialect == "postgresql" else 2), sent
    assert _held(db, limit_id) == (1, 1)


def test_a_release_nobody_waits_for_is_two_statements_on_sqlite(
    db: Database, statements: list[str]
) -> None:
    name, limit_id = new_limit(db, 2)
    lease_id = _acquire(db, name)
    assert lease_id is not None
    statements.clear()
    with db.begin_write() as conn:
        assert lease_store.release(conn, lease_id=lease_id)
    sent = work(statements)
    # The lease's rows deleted, then counted off the limit's row, which says in the
    # same statement on SQLite that nobody is queued (no hand-off, nobody to wake);
    # PostgreSQL looks at the head of the queue in a statement of its own (a waiter
    # that committed while the count waited on the row is not in its snapshot).
    assert len(sent) == (3 if db.dialect == "postgresql" else 2), sent
    assert _held(db, limit_id) == (0, 0)


def test_a_waiter_on_a_full_limit_keeps_its_place_in_two_statements_three_on_postgres(
    db: Database, statements: list[str]
) -> None:
    name, _ = new_limit(db, 1)
    assert _acquire(db, name) is not None
    request = SlotRequest(names=[name], ticket=uuid.uuid4(), wait_seconds=5)
    for _ in range(2):  # joins the queue, then keeps its place
        statements.clear()
        with db.begin_write() as conn:
            grant, retry_at = store.acquire_slots(
                conn, request=request, default_duration=60.0, wake_address="here|waiter"
            )
        assert grant.lease_id is None and grant.limits == [name]
        assert retry_at is not None and retry_at > time.time() + 30  # the holder's expiry
        # The refused one-statement take, (PostgreSQL: the limit's row locked,) then
        # the place kept.
        sent = work(statements)
        assert len(sent) == (2 if db.is_sqlite else 3), sent
    with db.begin_read() as conn:
        assert store.read_limit(conn, name=name).queue_length == 1


def test_held_follows_the_lease_rows(db: Database) -> None:
    a, a_id = new_limit(db, 3)
    b, b_id = new_limit(db, 1)
    fast = _acquire(db, a)  # one limit: the one-statement path
    both = _acquire(db, a, b)  # two limits: the full path
    assert fast is not None and both is not None
    assert _held(db, a_id) == (2, 2) and _held(db, b_id) == (1, 1)
    assert _acquire(db, b) is None  # full: refused, nothing counted
    assert _held(db, b_id) == (1, 1)
    with db.begin_write() as conn:
        assert lease_store.release(conn, lease_id=both)
    assert _held(db, a_id) == (1, 1) and _held(db, b_id) == (0, 0)
    with db.begin_write() as conn:
        assert store.reset_limit(conn, name=a) == 1
    assert _held(db, a_id) == (0, 0)


def test_expired_leases_count_until_deleted_and_never_let_a_limit_be_exceeded(
    db: Database,
) -> None:
    name, limit_id = new_limit(db, 1)
    assert _acquire(db, name, now=time.time() - 1000) is not None  # its lease ran out
    assert _held(db, limit_id) == (1, 1)
    # The row still counts, so the one-statement path refuses; the full path deletes
    # the expired row and grants: one holder, one slot counted.
    assert _acquire(db, name) is not None
    assert _held(db, limit_id) == (1, 1)
    assert _acquire(db, name) is None  # full now
    with db.begin_write() as conn:
        lease_store.expire(conn, now=time.time() + 1000)  # everything runs out
    assert _held(db, limit_id) == (0, 0)
    assert _acquire(db, name) is not None
    assert _held(db, limit_id) == (1, 1)


def test_a_queued_waiter_is_not_overtaken_by_the_one_statement_path(db: Database) -> None:
    name, limit_id = new_limit(db, 1)
    first = _acquire(db, name)
    ticket = uuid.uuid4()
    with db.begin_write() as conn:
        grant, _ = store.acquire_slots(
            conn,
            request=SlotRequest(names=[name], ticket=ticket),
            default_duration=60.0,
        )
    assert grant.lease_id is None  # queued
    with db.begin_write() as conn:
        lease_store.release(conn, lease_id=first)
    assert _acquire(db, name) is None  # a slot is free, but someone queued first
    with db.begin_write() as conn:
        grant, _ = store.acquire_slots(
            conn,
            request=SlotRequest(names=[name], ticket=ticket),
            default_duration=60.0,
        )
    assert grant.lease_id is not None
    assert _held(db, limit_id) == (1, 1)
