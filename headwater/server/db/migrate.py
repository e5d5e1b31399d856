"""Schema versions: a cheap check on every start, Alembic only when something changes.

Revision ids are the four-digit prefixes of the files in ``migrations/versions``
(``0001_initial.py`` is revision ``0001``), so the ordered list of known revisions is
read from the directory without importing Alembic.  On start we read the version row:
equal to the newest known revision is the common case and costs one query.  A new,
empty database is created from the table metadata and stamped (faster than replaying
every migration; a test proves both give the same schema).  An older one is upgraded
by Alembic under a lock; an unknown (newer) one is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, String, Table, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from headwater.exceptions import StoreError
from headwater.server.db.tables import metadata

if TYPE_CHECKING:
    from headwater.server.db.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_version_table = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), primary_key=True, nullable=False),
)
#: The schema revision row (the store's write probe rewrites it).
VERSION_TABLE = _version_table


def known_revisions() -> list[str]:
    """Every revision this Headwater knows, oldest first."""
    names = (p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return sorted(name.split("_", 1)[0] for name in names)


def head_revision() -> str:
    return known_revisions()[-1]


def current_revision(db: Database) -> str | None:
    """The revision recorded in the database, or None for a database without one."""
    try:
        with db.begin_read() as conn:
            return conn.execute(select(_version_table.c.version_num)).scalar()
    except DBAPIError:
        return None


def ensure_schema(db: Database) -> None:
    """Bring the database to the newest revision this Headwater knows (see module doc)."""
    head = head_revision()
    if current_revision(db) == head:
        return
    with _schema_lock(db):
        current = current_revision(db)
        if current == head:
            return
        if current is None:
            _create_fresh(db, head)
        elif current not in known_revisions():
            raise StoreError(
                f"the store {_display(db)} was written by a newer Headwater "
                f"(schema {current}; this version knows up to {head}); "
                "upgrade headwater or point HEADWATER_HOME elsewhere"
            )
        else:
            upgrade(db, "head")


def _create_fresh(db: Database, head: str) -> None:
    with db.begin_write() as conn:
        existing = set(metadata.tables) & _table_names(conn)
        if existing:
            raise StoreError(
                f"the store {_display(db)} has Headwater tables but no schema version; "
                "run `headwater server database reset --yes` to start over"
            )
        metadata.create_all(conn)
        _version_table.create(conn, checkfirst=True)
        conn.execute(_version_table.insert().values(version_num=head))


def _table_names(conn: Any) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def _alembic_config(conn: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision``."""
    from alembic import command

    with db.begin_write() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(db: Database, revision: str) -> None:
    """Run Alembic migrations down to ``revision`` (``base`` removes every table)."""
    from alembic import command

    if revision != "base" and revision not in known_revisions():
        raise StoreError(
            f"unknown revision {revision!r}; known: {', '.join(known_revisions())} or base"
        )
    with db.begin_write() as conn:
        command.downgrade(_alembic_config(conn), revision)


def reset(db: Database) -> None:
    """Drop every table and create the newest schema: all data is lost."""
    with db.begin_write() as conn:
        metadata.drop_all(conn)
        _version_table.drop(conn, checkfirst=True)
    ensure_schema(db)


@contextlib.contextmanager
def _schema_lock(db: Database) -> Iterator[None]:
    """Serialize schema changes between processes sharing one database."""
    if db.is_sqlite:
        path = make_url(db.url).database
        if not path or path == ":memory:":
            yield
            return
        from headwater.utilities.file_lock import locked

        with locked(path):
            yield
        return
    key = int.from_bytes(hashlib.sha256(b"headwater-schema").digest()[:7], "big")
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


def _display(db: Database) -> str:
    return make_url(db.url).render_as_string(hide_password=True)
