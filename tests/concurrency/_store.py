"""A fresh concurrency limit in a store, for the tests that drive the store directly."""

from __future__ import annotations

import uuid

from headwater.schemas.concurrency import ConcurrencyLimitCreate
from headwater.server.db.database import Database
from headwater.server.store import concurrency_limits as store


def new_limit(db: Database, limit: int) -> tuple[str, uuid.UUID]:
    """A limit with a name of its own: its name and id."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    with db.begin_write() as conn:
        created = store.create_limit(conn, limit=ConcurrencyLimitCreate(name=name, limit=limit))
    return name, created.id
