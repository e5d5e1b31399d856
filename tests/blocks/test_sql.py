"""SqlAlchemyConnector against a real SQLite file and the local PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.blocks.sql import ConnectionComponents, SqlAlchemyConnector
from headwater.exceptions import UserInputError
from headwater.utilities.ids import new_id

PG_URL = os.environ.get("HEADWATER_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite-url", "sqlite-components", "postgresql"])
def connector(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAlchemyConnector]:
    if request.param == "sqlite-url":
        block = SqlAlchemyConnector(connection_info=f"sqlite:///{tmp_path / 'data.db'}")
    elif request.param == "sqlite-components":
        block = SqlAlchemyConnector(
            connection_info=ConnectionComponents(driver="sqlite", database=str(tmp_path / "c.db"))
        )
    else:
        if not PG_URL:
            pytest.skip("HEADWATER_TEST_DATABASE_URL is not set")
        from sqlalchemy.engine import make_url

        url = make_url(PG_URL)
        block = SqlAlchemyConnector(
            connection_info={
                "driver": url.drivername,
                "host": url.host,
                "port": url.port,
                "username": url.username,
                "password": "stored-encrypted",  # trust auth here: any password is accepted
                "database": url.database,
            }
        )
    yield block
    block.close()


@pytest.fixture
def table(connector: SqlAlchemyConnector) -> Iterator[str]:
    name = f"hw_sql_{new_id().hex[:12]}"
    connector.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(50))")
    yield name
    connector.reset_connections()
    connector.execute(f"DROP TABLE {name}")


def test_execute_and_fetch(connector: SqlAlchemyConnector, table: str) -> None:
    connector.execute(f"INSERT INTO {table} VALUES (:id, :name)", {"id": 1, "name": "ada"})
    connector.execute_many(
        f"INSERT INTO {table} VALUES (:id, :name)",
        [{"id": i, "name": f"n{i}"} for i in range(2, 7)],
    )
    query = f"SELECT id, name FROM {table} ORDER BY id"
    assert tuple(connector.fetch_one(query)) == (1, "ada")
    assert [tuple(r) for r in connector.fetch_many(query, size=2)] == [(2, "n2"), (3, "n3")]
    assert [r[0] for r in connector.fetch_all(query)] == [4, 5, 6]
    assert connector.fetch_one(query) is None  # the result set is used up
    connector.reset_connections()
    assert tuple(connector.fetch_one(query)) == (1, "ada")  # a new result set
    row = connector.fetch_one(f"SELECT name FROM {table} WHERE id = :id", {"id": 3})
    assert row[0] == "n3"


def test_get_connection_with_and_without_transaction(
    connector: SqlAlchemyConnector, table: str
) -> None:
    from sqlalchemy import text

    with connector.get_connection(begin=True) as conn:
        conn.execute(text(f"INSERT INTO {table} VALUES (1, 'committed')"))
    with connector.get_connection(begin=False) as conn:
        conn.execute(text(f"INSERT INTO {table} VALUES (2, 'rolled back')"))
        conn.rollback()
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
    assert connector.get_engine() is connector.get_engine()


def test_saved_connector_loads_and_works(
    connector: SqlAlchemyConnector, table: str, headwater_home: Path
) -> None:
    connector.save("warehouse")
    loaded = SqlAlchemyConnector.load("warehouse")
    try:
        loaded.execute(f"INSERT INTO {table} VALUES (1, 'x')")
        assert loaded.fetch_all(f"SELECT name FROM {table}")[0][0] == "x"
    finally:
        loaded.close()
    assert "stored-encrypted" not in repr(loaded)


def test_used_inside_a_task(connector: SqlAlchemyConnector, table: str) -> None:
    connector.save("db")

    @task
    def insert(i: int) -> None:
        with SqlAlchemyConnector.load("db") as db:
            db.execute(f"INSERT INTO {table} VALUES (:i, 't')", {"i": i})

    @flow
    def load_rows() -> int:
        for i in range(3):
            insert(i)
        with SqlAlchemyConnector.load("db") as db:
            return int(db.fetch_one(f"SELECT count(*) FROM {table}")[0])

    assert load_rows() == 3


def test_bad_url_is_one_line() -> None:
    with pytest.raises(UserInputError, match="not a SQLAlchemy URL"):
        SqlAlchemyConnector(connection_info="no scheme here").get_engine()
