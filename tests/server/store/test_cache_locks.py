from __future__ import annotations

import time

from headwater.server.db.database import get_database
from headwater.server.store.cache_locks import acquire_cache_lock, release_cache_lock


def test_one_holder_at_a_time_and_expiry(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        assert acquire_cache_lock(conn, key="k", holder="a", ttl_seconds=60)
    with db.begin_write() as conn:
        assert not acquire_cache_lock(conn, key="k", holder="b", ttl_seconds=60)
        assert acquire_cache_lock(conn, key="k", holder="a", ttl_seconds=60)  # re-entrant
    with db.begin_write() as conn:
        assert not release_cache_lock(conn, key="k", holder="b")
        assert release_cache_lock(conn, key="k", holder="a")
    with db.begin_write() as conn:
        assert acquire_cache_lock(conn, key="k", holder="b", ttl_seconds=0.05)
    time.sleep(0.1)
    with db.begin_write() as conn:  # b's lock expired: c may take it
        assert acquire_cache_lock(conn, key="k", holder="c", ttl_seconds=60)
