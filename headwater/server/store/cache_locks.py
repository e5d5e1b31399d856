"""Cache-key locks in the store: one row per key being computed, with an expiry.

Used for isolation when results are not on a local disk (file locks are used
there).  Taking a lock is one statement: insert the row, or take over a row whose
holder let it expire (or is the same holder).
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, delete, or_

from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import cache_locks


def acquire_cache_lock(conn: Connection, *, key: str, holder: str, ttl_seconds: float) -> bool:
    """True if ``holder`` now holds the lock on ``key`` for ``ttl_seconds``."""
    now = time.time()
    stmt = insert_for(conn, cache_locks).values(
        key=key, holder=holder, expires=now + ttl_seconds, created=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"holder": holder, "expires": now + ttl_seconds, "created": now},
        where=or_(cache_locks.c.expires < now, cache_locks.c.holder == holder),
    )
    # RETURNING rather than rowcount: psycopg reports 1 for a skipped conflict update.
    return conn.execute(stmt.returning(cache_locks.c.holder)).first() is not None


def release_cache_lock(conn: Connection, *, key: str, holder: str) -> bool:
    """Let go of ``key`` (only its holder can); True if a lock was released."""
    result = conn.execute(
        delete(cache_locks).where(cache_locks.c.key == key, cache_locks.c.holder == holder)
    )
    return bool(result.rowcount)
