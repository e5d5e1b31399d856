"""Giving deleted rows' space back: SQLite ``VACUUM``, PostgreSQL ``VACUUM ANALYZE``."""

from __future__ import annotations

import os

from sqlalchemy import text

from headwater.server.db.database import Database
from headwater.server.db.tables import metadata


def store_size(db: Database) -> int:
    """Bytes the store takes: the SQLite file (with its WAL), or the PostgreSQL
    tables of the current schema with their indexes and TOAST."""
    if db.is_sqlite:
        path = db.engine.url.database
        if not path or path == ":memory:":
            return 0
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    query = text(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
    )
    with db.begin_read() as conn:
        return int(conn.execute(query).scalar_one())


def vacuum(db: Database) -> None:
    """Compact the store; outside any transaction, as both databases require."""
    if db.is_sqlite:
        # The engine's connections begin every transaction themselves (BEGIN
        # IMMEDIATE): use the driver's connection in autocommit mode.
        raw = db.engine.raw_connection()
        try:
            sqlite = raw.driver_connection
            assert sqlite is not None
            if sqlite.in_transaction:
                sqlite.commit()
            previous = sqlite.isolation_level
            sqlite.isolation_level = None
            try:
                sqlite.execute("VACUUM")
                sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                sqlite.isolation_level = previous
        finally:
            raw.close()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.exec_driver_sql(f"VACUUM ANALYZE {names}")
