"""The results migration (0003) gives the same schema as the table metadata."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from headwater.server.db.database import open_database
from headwater.server.db.migrate import downgrade, upgrade
from headwater.server.db.tables import metadata


def _columns(db: object) -> dict[str, set[str]]:
    with db.engine.connect() as conn:  # type: ignore[attr-defined]
        inspector = inspect(conn)
        return {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()
            if name != "alembic_version"
        }


def test_upgrade_from_0001_matches_metadata(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db, "0001")
    before = _columns(db)
    assert "result" not in before["task_runs"] and "cache_locks" not in before
    upgrade(db, "head")
    after = _columns(db)
    expected = {table.name: {c.name for c in table.columns} for table in metadata.sorted_tables}
    assert after == expected
    downgrade(db, "0001")
    assert _columns(db) == before
    db.dispose()
