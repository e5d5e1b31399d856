"""Cache-key locks: a lease on ``cache:<key>`` with room for one holder.

Used for isolation when results are not on a local disk (file locks are used
there).  The lease's id is derived from the key and the holder (``cache_lock_id``),
so a holder can renew it through the lease functions without being told its id;
taking the lock again as the same holder renews it.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, select, update

from headwater.core.lease_ids import cache_lock_id
from headwater.server.db.tables import leases
from headwater.server.store import leases as lease_store


def cache_resource(key: str) -> str:
    return "cache:" + key


def acquire_cache_lock(conn: Connection, *, key: str, holder: str, ttl_seconds: float) -> bool:
    """True if ``holder`` now holds the lock on ``key`` for ``ttl_seconds``."""
    now = time.time()
    resource = cache_resource(key)
    lease_id = cache_lock_id(key, holder)
    lease_store.lock_resources(conn, [resource])
    mine = conn.execute(
        update(leases)
        .where(leases.c.id == lease_id, leases.c.expires > now)
        .values(expires=now + ttl_seconds, duration=ttl_seconds)
        .returning(leases.c.id)
    ).first()
    if mine is not None:
        return True
    # An expired lease of this holder may still have its row: it is not held any more.
    conn.execute(leases.delete().where(leases.c.id == lease_id))
    admission = lease_store.acquire(
        conn,
        lease_id=lease_id,
        resources={resource: 1},
        capacities={resource: 1},
        holder=holder,
        duration=ttl_seconds,
        now=now,
    )
    return admission.admitted


def release_cache_lock(conn: Connection, *, key: str, holder: str) -> bool:
    """Let go of ``key`` (only its holder can); True if a lock was released."""
    return lease_store.release(conn, lease_id=cache_lock_id(key, holder))


def cache_lock_holder(conn: Connection, *, key: str) -> str | None:
    """Who holds ``key`` now, if anyone."""
    return conn.execute(
        select(leases.c.holder).where(
            leases.c.resource == cache_resource(key), leases.c.expires > time.time()
        )
    ).scalar()
