"""Shared fixtures: every test gets its own HEADWATER_HOME with a real SQLite store.

Store-level tests take the ``database_url`` fixture, which runs them against SQLite
and, when ``HEADWATER_TEST_DATABASE_URL`` is set, against PostgreSQL too (each xdist
worker in its own schema, tables emptied between tests).

API tests take ``api_server`` (or ``api``, an httpx client on it): a real
``headwater server start`` process on a free loopback port, once on SQLite and once on
a fresh PostgreSQL schema, shared by every test of the xdist worker that asks for one
(``shared_servers``), so tests on it use unique names and never assume an empty store.
Tests that stop, break or configure their server start their own ``ServerProcess``.

Skipped tests are listed once at the end, grouped by reason with a count.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests._s3 import bucket, s3_endpoint  # noqa: F401  (fixtures: one S3 server per process)
from tests._servers import ServerProcess, SharedServers, stop_all
from tests._skip_summary import pytest_terminal_summary  # noqa: F401  (a hook)

# The client contracts live in plain modules that tests elsewhere import too (tests of
# the store, automations): rewrite their asserts whichever test imports them first.
pytest.register_assert_rewrite("tests.client.conformance")

PG_URL = os.environ.get("HEADWATER_TEST_DATABASE_URL")
#: Schemas are named per checkout too: clones testing at once on one PostgreSQL
#: (each maybe at another schema revision) must not share tables.
_CHECKOUT = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]


@pytest.fixture(autouse=True)
def headwater_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh home (and store) per test; settings that would leak are cleared."""
    for name in list(os.environ):
        if name.startswith("HEADWATER_") and name != "HEADWATER_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    monkeypatch.setenv("HEADWATER_LOGGING_CONSOLE", "false")
    monkeypatch.setenv("HEADWATER_WRITER_FLUSH_SECONDS", "0.05")
    yield home
    _reset_process_state()


def _reset_process_state() -> None:
    from headwater.client import close_shared_clients, writer
    from headwater.engine.backend import forget_backends
    from headwater.server.db.database import forget_databases

    writer.flush_all(timeout=10)
    forget_backends()
    close_shared_clients()
    writer._writers.clear()
    forget_databases()


def _pg_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)  # type: ignore[arg-type]
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _fresh_pg_schema(schema: str) -> str:
    """Create ``schema`` empty; the URL of the test database with it as search path."""
    _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _pg_admin(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in PG_URL else "?"  # type: ignore[operator]
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    """A PostgreSQL schema of this test process's own, created empty, dropped after."""
    if not PG_URL:
        pytest.skip("HEADWATER_TEST_DATABASE_URL is not set")
    schema = f"hw_test_{worker_id}_{_CHECKOUT}_{os.getpid()}"
    yield _fresh_pg_schema(schema)
    _reset_process_state()
    _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _truncate(url: str) -> None:
    from headwater.server.db.database import get_database
    from headwater.server.db.tables import metadata

    db = get_database(url)
    names = ", ".join(f'"{table.name}"' for table in reversed(metadata.sorted_tables))
    with db.begin_write() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The store URL a test runs against; also set as HEADWATER_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{headwater_home / 'headwater.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _truncate(url)
    monkeypatch.setenv("HEADWATER_DATABASE_URL", url)
    return url


# -- real server processes (see _servers.py) ------------------------------------------

_server_schemas = itertools.count()


@contextlib.contextmanager
def server_store(kind: str, worker: str) -> Iterator[str | None]:
    """A store URL for a server: None (SQLite in its home) or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        yield None
        return
    if not PG_URL:
        pytest.skip("HEADWATER_TEST_DATABASE_URL is not set")
    schema = f"hw_srv_{worker}_{_CHECKOUT}_{os.getpid()}_{next(_server_schemas)}"
    url = _fresh_pg_schema(schema)
    try:
        yield url
    finally:
        from headwater.server.db.database import forget_databases

        forget_databases()
        _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[SharedServers]:
    """This worker's shared servers (see ``SharedServers``), stopped at the end."""
    root = tmp_path_factory.mktemp("shared-servers")
    with SharedServers(root, lambda kind: server_store(kind, worker_id)).session() as servers:
        yield servers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """A server shared by the session, once on SQLite and once on PostgreSQL."""
    return shared_servers.get(request.param)


@pytest.fixture
def api(api_server: ServerProcess) -> Iterator[httpx.Client]:
    """An HTTP client on the module's server, base URL ``/api``."""
    with httpx.Client(base_url=api_server.api_url, timeout=30) as client:
        yield client


# -- soak tests run only when asked for (`make soak`: `-m soak`) ----------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``soak`` tests unless the ``-m`` expression names them."""
    if "soak" in (config.option.markexpr or ""):
        return
    soak = [item for item in items if item.get_closest_marker("soak") is not None]
    if soak:
        config.hook.pytest_deselected(items=soak)
        items[:] = [item for item in items if item.get_closest_marker("soak") is None]


# -- the session's end: no server left behind (skip reasons: tests/_skip_summary.py) --


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_all()
