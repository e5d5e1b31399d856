"""Opening the store: one SQLAlchemy engine per database URL per process.

SQLite is opened in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE``: a deferred transaction that later tries to write fails at
once with "database is locked" when another process wrote meanwhile (the busy
handler is not consulted for that upgrade), which is what breaks concurrent writers.
Within one process, SQLite write transactions also take a lock first: SQLite allows
one writer anyway, and a thread waiting on a Python lock wakes as soon as the writer
is done, whereas SQLite's busy handler polls with sleeps of up to 100 ms (under the
server's concurrent requests that polling, not the writes, would set the pace).
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from headwater.exceptions import StoreError
from headwater.server.db.after_commit import DATABASE, Callback, run_callbacks
from headwater.server.db.after_commit import KEY as AFTER_COMMIT
from headwater.server.db.store_errors import is_conflict
from headwater.server.db.write_lock import WriteLock
from headwater.settings import get_settings

_WRITE_OPTION = "headwater_write"
T = TypeVar("T")


class Database:
    """An engine plus the two ways to open a transaction on it."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_engine = engine.execution_options(**{_WRITE_OPTION: True})
        self._write_lock: WriteLock | None = None
        if self.dialect == "sqlite":
            path = engine.url.database
            if path and path != ":memory:" and "mode=memory" not in str(engine.url):
                path = str(Path(path.removeprefix("file:")).resolve())
            else:
                path = None
            self._write_lock = WriteLock(path, get_settings().sqlite_busy_timeout_seconds)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def begin_write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success;
        then what the transaction registered with ``after_commit`` runs."""
        # The connection is checked out once the write lock is held: writers queued
        # for the lock hold no pooled connection, so a queue of them never starves
        # readers of connections (tests/server/db/test_queued_writers.py).
        with self._write_transaction(self._write_engine.begin) as conn:
            yield conn

    @contextlib.contextmanager
    def _write_transaction(
        self, begin: Callable[[], contextlib.AbstractContextManager[Connection]]
    ) -> Iterator[Connection]:
        pending: list[Callback] = []
        lock = self._write_lock
        with lock if lock is not None else contextlib.nullcontext(), begin() as conn:
            conn.info[AFTER_COMMIT] = pending
            conn.info[DATABASE] = self
            try:
                yield conn
            finally:
                del conn.info[AFTER_COMMIT]
                del conn.info[DATABASE]
        if pending:
            run_callbacks(pending)

    @contextlib.contextmanager
    def bulk_writer(self) -> Iterator[BulkWriter]:
        """One connection of its own for a long series of write transactions (a
        prune): on SQLite its commits never run the automatic checkpoint (which
        copies and syncs every page in the log while the write lock is held); the
        caller checkpoints between its transactions instead (``BulkWriter.checkpoint``)."""
        with self._write_engine.connect() as conn:
            sqlite = _sqlite_of(conn) if self.is_sqlite else None
            if sqlite is not None:
                sqlite.execute("PRAGMA wal_autocheckpoint=0").fetchall()
            try:
                yield BulkWriter(self, conn, sqlite)
            finally:
                if sqlite is not None:  # the connection goes back to the pool
                    sqlite.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT}").fetchall()

    def write_retrying(self, work: Callable[[Connection], T], *, attempts: int = 5) -> T:
        """``work(conn)`` in a write transaction, done again (at most ``attempts``
        times, after a short random pause) when PostgreSQL picks the transaction as a
        deadlock victim or fails it for serialization: ``work`` must be safe to run
        again from the start (everything it wrote was rolled back)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.begin_write() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt == attempts or not is_conflict(exc):
                    raise
            time.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def begin_read(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log back into the database now (``PASSIVE``:
        it never waits for, nor blocks, writers).  A bulk writer (retention) calls it
        between its transactions, outside the write lock, so the log stays short and
        the next writer's commit does not run SQLite's automatic checkpoint (which
        copies and syncs every page written since the last one) while other writers
        wait behind it.  A no-op on PostgreSQL."""
        if not self.is_sqlite:
            return
        raw = self.engine.raw_connection()  # outside any transaction (isolation_level None)
        try:
            sqlite = raw.driver_connection
            assert sqlite is not None
            _checkpoint(sqlite)
        finally:
            raw.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


class BulkWriter:
    """Write transactions on one connection kept by ``Database.bulk_writer``."""

    def __init__(self, db: Database, conn: Connection, sqlite: Any) -> None:
        self._db = db
        self._conn = conn
        self._sqlite = sqlite

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction as ``Database.begin_write`` opens, on this connection."""
        with self._db._write_transaction(self._begun) as conn:
            yield conn

    @contextlib.contextmanager
    def _begun(self) -> Iterator[Connection]:
        with self._conn.begin():
            yield self._conn

    def checkpoint(self) -> None:
        """SQLite: a ``PASSIVE`` checkpoint on this connection, outside any
        transaction (call it between transactions); a no-op on PostgreSQL."""
        if self._sqlite is not None:
            _checkpoint(self._sqlite)


#: SQLite's default ``wal_autocheckpoint`` (pages), restored on a bulk writer's connection.
_AUTOCHECKPOINT = 1000


def _sqlite_of(conn: Connection) -> Any:
    """The sqlite3 connection under ``conn`` (isolation_level None: a statement run
    on it directly opens no transaction)."""
    return conn.connection.driver_connection


def _checkpoint(sqlite: Any) -> None:
    sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


_databases: dict[str, Database] = {}
_lock = threading.Lock()


def get_database(url: str | None = None) -> Database:
    """The process-wide ``Database`` for ``url`` (default: the configured store)."""
    if url is None:
        url = get_settings().database_url_or_default
    database = _databases.get(url)
    if database is not None:
        return database
    with _lock:
        database = _databases.get(url)
        if database is None:
            database = open_database(url)
            from headwater.server.db.migrate import ensure_schema

            try:
                ensure_schema(database)
            except BaseException:
                database.dispose()  # don't leave its connections open
                raise
            _databases[url] = database
    return database


def forget_database(url: str) -> None:
    """Dispose the cached engine of one store (a temporary store going away)."""
    with _lock:
        database = _databases.pop(url, None)
    if database is not None:
        database.dispose()


def forget_databases() -> None:
    """Dispose every cached engine (tests and forked processes)."""
    with _lock:
        for database in _databases.values():
            database.dispose()
        _databases.clear()


def open_database(url: str) -> Database:
    """Create the engine for ``url`` without touching its schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Database(url, _sqlite_engine(url, parsed.database))
    if parsed.get_backend_name() == "postgresql":
        try:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"cannot use {parsed.drivername}: {exc.name} is not installed; "
                "install it with `pip install 'headwater[postgres]'`"
            ) from None
        return Database(url, engine)
    raise StoreError(
        f"unsupported database {parsed.get_backend_name()!r} in {parsed.render_as_string()}; "
        "use sqlite:///PATH or postgresql+psycopg://…"
    )


def _sqlite_engine(url: str, path: str | None) -> Engine:
    if path and path != ":memory:":
        # ``file:PATH`` (with ``?uri=true``, e.g. ``mode=ro``) names the file PATH.
        _check_directory(Path(path.removeprefix("file:")).parent)
    timeout = get_settings().sqlite_busy_timeout_seconds
    engine = create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight to the driver: ``exec_driver_sql`` would build an execution
        # context for a statement that returns nothing (a third of an uncontended
        # write transaction's time, all of it while the write lock is held).
        sqlite: Any = conn.connection.driver_connection
        if conn.get_execution_options().get(_WRITE_OPTION):
            sqlite.execute("BEGIN IMMEDIATE")
        else:
            sqlite.execute("BEGIN")

    return engine


def _check_directory(directory: Path) -> None:
    """Create the store's directory, or say in one line why it cannot be used."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the store directory {directory}: {exc.strerror or exc}; "
            "set HEADWATER_HOME to a writable directory"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreError(
            f"the store directory {directory} is not writable; "
            "set HEADWATER_HOME to a writable directory"
        )
