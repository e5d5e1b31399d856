"""Schema creation, Alembic migrations, version checks, and unusable homes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from headwater.exceptions import StoreError
from headwater.server.db import migrate
from headwater.server.db.database import get_database, open_database


def _diff(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from headwater.server.db.tables import metadata

    db = open_database(url)

    def on_this_database(obj: Any, name: Any, kind: str, reflected: bool, other: Any) -> bool:
        # An index made for one database only (Index.ddl_if) is not expected elsewhere.
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, db.dialect)

    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": on_this_database})
            return list(compare_metadata(context, metadata))
    finally:
        db.dispose()


def test_fresh_store_is_created_and_stamped(database_url: str) -> None:
    db = get_database(database_url)
    assert migrate.current_revision(db) == migrate.head_revision()
    assert migrate.known_revisions()[0] == "0001"


def test_migrations_from_scratch_match_the_tables(database_url: str) -> None:
    db = get_database(database_url)
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    migrate.upgrade(db, "head")
    assert migrate.current_revision(db) == migrate.head_revision()
    assert _diff(database_url) == []


def test_an_older_store_is_upgraded_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    migrate.upgrade(db, "0001")
    db.dispose()
    assert migrate.current_revision(get_database(url)) == migrate.head_revision()


def test_a_store_from_a_newer_headwater_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    db = get_database(url)
    with db.begin_write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    fresh = open_database(url)
    with pytest.raises(StoreError) as info:
        migrate.ensure_schema(fresh)
    fresh.dispose()
    message = str(info.value)
    assert "newer Headwater" in message and "9999" in message and "\n" not in message


def test_unknown_downgrade_target(database_url: str) -> None:
    with pytest.raises(StoreError, match="unknown revision"):
        migrate.downgrade(get_database(database_url), "12")


def test_reset_empties_the_store(database_url: str) -> None:
    from headwater import flow

    @flow
    def something() -> None:
        return None

    something()
    db = get_database(database_url)
    migrate.reset(db)
    with db.begin_read() as conn:
        assert conn.execute(text("SELECT count(*) FROM flow_runs")).scalar() == 0


def test_unwritable_home_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("HEADWATER_HOME", str(blocker / "home"))
    from headwater import flow

    @flow
    def anything() -> None:
        return None

    with pytest.raises(StoreError) as info:
        anything()
    message = str(info.value)
    assert "HEADWATER_HOME" in message and "\n" not in message


def test_unsupported_database_url() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        open_database("mysql://localhost/db")
