"""Writers queued for a SQLite store's write lock hold no pooled connection while they
wait: readers (a server's pages and listings) are not starved by a queue of writers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from headwater.server.db.database import open_database

QUEUED = 24  # more than the pool's connections (5 + 10 overflow)


def test_a_read_goes_through_while_many_writers_wait_for_the_lock(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'queue.db'}")
    held, release = threading.Event(), threading.Event()
    done: list[int] = []

    def holder() -> None:
        with db.begin_write():
            held.set()
            release.wait(30)

    def writer(i: int) -> None:
        with db.begin_write() as conn:
            conn.execute(text("SELECT 1"))
        done.append(i)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    try:
        assert held.wait(10)
        threads += [threading.Thread(target=writer, args=(i,)) for i in range(QUEUED)]
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.5)  # let them queue behind the holder
        start = time.monotonic()
        with db.begin_read() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert time.monotonic() - start < 5, "the read waited for a pooled connection"
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
        db.dispose()
    assert sorted(done) == list(range(QUEUED))
