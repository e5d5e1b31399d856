"""Takers of one limit's slots never deadlock on PostgreSQL: every path locks the
limit's row before anything else of the limit (``server/store/concurrency_limits.py``),
and an acquire that the database still picks as a deadlock victim is asked again.

Real PostgreSQL, real connections interleaved on purpose (the fast path waiting on
the limit's row while a full-path request waits behind it), plus many threads mixing
both paths on one limit."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from headwater.client.local_concurrency import wait_for_slots
from headwater.schemas.concurrency import SlotRequest
from headwater.server.db.database import Database
from headwater.server.store import concurrency_limits as store
from headwater.server.store import leases as lease_store
from tests.concurrency._store import new_limit, waiting


def _until(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


class _Acquirer(threading.Thread):
    """One acquire transaction in a thread; its backend's pid once it has begun."""

    def __init__(self, db: Database, request: SlotRequest) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.request = request
        self.pid: int | None = None
        self.began = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.db.begin_write() as conn:
                self.pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
                self.began.set()
                self.result = store.acquire_slots(conn, request=self.request, default_duration=60.0)
        except BaseException as exc:
            self.error = exc
        finally:
            self.began.set()


def test_a_fast_taker_waiting_on_the_row_and_a_queued_request_do_not_deadlock(
    pg: Database,
) -> None:
    """The fast path waits on the limit's row (held by an uncommitted take), a queued
    request comes in behind it; when the take commits the fast path finds the limit
    full and falls back to the full path.  With two lock orders (the fast path's row
    lock, then the advisory lock; the full path's advisory lock, then the row) this
    was a deadlock every time."""
    name, _ = new_limit(pg, 1)
    with pg.begin_write() as first:
        grant, _ = store.acquire_slots(
            first, request=SlotRequest(names=[name]), default_duration=60.0
        )
        assert grant.lease_id is not None  # the row stays locked until this commits
        fast = _Acquirer(pg, SlotRequest(names=[name]))
        fast.start()
        assert fast.began.wait(30) and fast.pid is not None
        _until(lambda: waiting(pg, fast.pid or 0), "the fast path waits on the row")
        queued = _Acquirer(pg, SlotRequest(names=[name], ticket=uuid.uuid4(), wait_seconds=5))
        queued.start()
        assert queued.began.wait(30) and queued.pid is not None
        _until(lambda: waiting(pg, queued.pid or 0), "the queued request waits")
    for thread in (fast, queued):
        thread.join(60)
        assert not thread.is_alive()
        assert thread.error is None, repr(thread.error)
        assert thread.result[0].lease_id is None  # the limit of 1 was full
    with pg.begin_read() as conn:
        read = store.read_limit(conn, name=name)
    assert read.active_slots == 1 and read.queue_length == 1


def test_an_acquire_picked_as_a_deadlock_victim_is_asked_again(pg: Database) -> None:
    """Another transaction (here the test's own) makes a cycle with an acquire: the
    acquire is picked (its deadlock check runs first) and is asked again, instead of
    failing with ``deadlock detected``."""
    name, limit_id = new_limit(pg, 0)  # a limit of 0: the request queues
    ticket = uuid.uuid4()
    request = SlotRequest(names=[name], ticket=ticket, wait_seconds=0.5)
    outcome: dict[str, Any] = {}

    def ask() -> None:
        try:
            outcome["grant"] = wait_for_slots(pg, request, 60.0)
        except BaseException as exc:
            outcome["error"] = exc

    asker = threading.Thread(target=ask, daemon=True)
    with pg.begin_write() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '20s'"))  # the acquire checks first
        pid = other.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
        # Take the waiter's row first (uncommitted): the acquire's upsert waits on it...
        other.execute(
            text(
                "INSERT INTO lease_waiters (id, ticket, resource, slots, wake, expires, created) "
                "VALUES (DEFAULT, :ticket, :resource, 1, NULL, :expires, :now)"
            ),
            {
                "ticket": ticket,
                "resource": store.resource(limit_id),
                "expires": time.time() + 60,
                "now": time.time(),
            },
        )
        asker.start()
        _until(
            lambda: _blocked_by(pg, pid),
            "the acquire waits on the test's transaction",
        )
        # ...while this one waits on what the acquire locked before: a cycle.
        other.execute(
            text("SELECT id FROM concurrency_limits WHERE id = :id FOR UPDATE"), {"id": limit_id}
        )
        other.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:resource))"),
            {"resource": store.resource(limit_id)},
        )
        other.rollback()
    asker.join(60)
    assert not asker.is_alive()
    assert "error" not in outcome, repr(outcome.get("error"))
    assert outcome["grant"].lease_id is None and outcome["grant"].limits == [name]


def _blocked_by(db: Database, pid: int) -> bool:
    with db.begin_read() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar()
        )


def test_many_takers_mixing_both_paths_never_deadlock(pg: Database, tmp_path: Path) -> None:
    """Threads take and give back slots of one limit, half through the one-statement
    path, half through the queue, for a bounded time: no error, the count comes back
    to 0, and the limit was never exceeded (counted by the holders themselves)."""
    name, _ = new_limit(pg, 1)
    holding = 0
    peak = 0
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop = time.monotonic() + 8.0

    def taker(queued: bool) -> None:
        nonlocal holding, peak
        try:
            while time.monotonic() < stop:
                request = SlotRequest(
                    names=[name],
                    ticket=uuid.uuid4() if queued else None,
                    wait_seconds=10 if queued else 0,
                )
                grant = wait_for_slots(pg, request, 60.0)
                if grant.lease_id is None:
                    continue
                with lock:
                    holding += 1
                    peak = max(peak, holding)
                with lock:
                    holding -= 1
                with pg.begin_write() as conn:
                    lease_store.release(conn, lease_id=grant.lease_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=taker, args=(i % 2 == 1,), daemon=True) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive()
    assert not errors, [repr(error) for error in errors[:3]]
    assert peak <= 1
    with pg.begin_read() as conn:
        read = store.read_limit(conn, name=name)
    assert read.active_slots == 0
