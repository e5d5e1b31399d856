"""Busy or broken: real errors from real SQLite files and a real PostgreSQL session are
classified, and LocalClient turns the permanent ones into ``StoreUnwritable``."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from headwater.client.local import LocalClient
from headwater.exceptions import StoreUnwritable
from headwater.schemas.records import FlowRunCreate
from headwater.schemas.store_errors import (
    PERMANENT,
    SCHEMA_MISMATCH,
    STORE_BUSY,
    STORE_READ_ONLY,
)
from headwater.server.db.store_errors import classify, describe
from headwater.states import Running


def _sqlite_error(path: Path, statement: str, *, read_only: bool = False) -> DBAPIError:
    url = f"sqlite:///file:{path}?mode=ro&uri=true" if read_only else f"sqlite:///{path}"
    engine = create_engine(url, connect_args={"timeout": 0.05})
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text(statement))
        return caught.value
    finally:
        engine.dispose()


def test_sqlite_errors_are_busy_or_permanent(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    read_only = _sqlite_error(path, "INSERT INTO t VALUES (1)", read_only=True)
    assert classify(read_only) == STORE_READ_ONLY
    assert "readonly database" in describe(read_only)
    assert classify(_sqlite_error(path, "INSERT INTO missing VALUES (1)")) == SCHEMA_MISMATCH

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert classify(_sqlite_error(path, "INSERT INTO t VALUES (2)")) == STORE_BUSY
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert classify(ValueError("not a store error")) is None


def test_postgresql_errors_are_busy_or_permanent(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            conn.execute(text("CREATE TABLE hw_read_only_probe (x int)"))
        assert classify(caught.value) == STORE_READ_ONLY
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text("SELECT * FROM hw_no_such_table"))
        assert classify(caught.value) == SCHEMA_MISMATCH
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS hw_lock_probe (x int)"))
        locked = threading.Event()
        release = threading.Event()

        def hold_the_lock() -> None:
            with engine.begin() as holder:
                holder.execute(text("LOCK TABLE hw_lock_probe IN ACCESS EXCLUSIVE MODE"))
                locked.set()
                release.wait(10)

        thread = threading.Thread(target=hold_the_lock)
        thread.start()
        try:
            assert locked.wait(10)
            with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '50ms'"))
                conn.execute(text("SELECT * FROM hw_lock_probe"))
            assert classify(caught.value) == STORE_BUSY
        finally:
            release.set()
            thread.join(10)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE hw_lock_probe"))
    finally:
        engine.dispose()


def test_a_read_only_store_raises_store_unwritable_naming_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "home" / "headwater.db"
    LocalClient(f"sqlite:///{path}")  # create the store (schema at head)
    from headwater.server.db.database import forget_databases

    forget_databases()
    client = LocalClient(f"sqlite:///file:{path}?mode=ro&uri=true")
    run: FlowRunCreate = {"flow_name": "f", "name": "r"}
    with pytest.raises(StoreUnwritable) as caught:
        client.create_flow_run(run, Running())
    assert caught.value.code == STORE_READ_ONLY and caught.value.code in PERMANENT
    assert "attempt to write a readonly database" in str(caught.value)
    assert "make the store writable" in str(caught.value)  # the hint
