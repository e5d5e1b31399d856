"""The store the store-level concurrency tests run on: a real SQLite file, and
PostgreSQL when ``HEADWATER_TEST_DATABASE_URL`` names one; the statements a test sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from headwater.server.db.database import Database, get_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return get_database(f"sqlite:///{tmp_path / 'store.db'}")
    return get_database(request.getfixturevalue("pg_url"))


@pytest.fixture
def pg(pg_url: str) -> Database:
    """PostgreSQL alone (skipped without ``HEADWATER_TEST_DATABASE_URL``)."""
    return get_database(pg_url)


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent while the test runs (after the setup above it)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        sent.append(sql)

    if not db.is_sqlite:
        event.listen(db.engine, "before_cursor_execute", record)
        yield sent
        event.remove(db.engine, "before_cursor_execute", record)
        return

    # SQLite's hot statements go to the driver directly: trace them in the driver.
    def traced(dbapi_conn: Any, *_args: Any) -> None:
        dbapi_conn.set_trace_callback(sent.append)

    def untraced(dbapi_conn: Any, *_args: Any) -> None:
        dbapi_conn.set_trace_callback(None)

    event.listen(db.engine, "checkout", traced)
    event.listen(db.engine, "checkin", untraced)
    yield sent
    event.remove(db.engine, "checkout", traced)
    event.remove(db.engine, "checkin", untraced)
