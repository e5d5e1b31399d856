"""The blocks migration (0002) builds exactly the tables that ``tables.py`` declares."""

from __future__ import annotations

from headwater.server.db import migrate
from headwater.server.db.database import open_database
from headwater.server.db.tables import metadata
from tests.server.db.test_migrate import _diff as _compare


def _diff(url: str) -> list[object]:
    db = open_database(url)
    try:
        with db.begin_write() as conn:
            metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        migrate.upgrade(db, "head")
    finally:
        db.dispose()
    return _compare(url)


def test_migrations_match_the_tables(database_url: str) -> None:
    assert _diff(database_url) == []


def test_downgrade_to_0001_removes_the_block_tables(database_url: str) -> None:
    from sqlalchemy import inspect

    db = open_database(database_url)
    try:
        with db.begin_write() as conn:
            metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        migrate.upgrade(db, "head")
        migrate.downgrade(db, "0001")
        with db.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        assert "block_documents" not in names and "variables" not in names
        assert "flow_runs" in names
        migrate.upgrade(db, "head")
    finally:
        db.dispose()
