"""The store the store-level concurrency tests run on: a real SQLite file, and
PostgreSQL when ``HEADWATER_TEST_DATABASE_URL`` names one."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.server.db.database import Database, get_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return get_database(f"sqlite:///{tmp_path / 'store.db'}")
    return get_database(request.getfixturevalue("pg_url"))
