"""The transports the conformance class runs on: ``LocalClient`` on the embedded
store (SQLite; PostgreSQL when HEADWATER_TEST_DATABASE_URL is set) and ``HttpClient``
on the session's shared servers (SQLite and PostgreSQL).

The engine is pointed at the same store (HEADWATER_DATABASE_URL or HEADWATER_API_URL),
so methods that run a flow in this process (``run_flow_run``, ``retry_flow_run``)
record where the client under test reads.  Stores are shared by the tests of a
session: every test makes its own names and ids and reads only those.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# The contracts' asserts are rewritten: tests/conftest.py registers the package.
from headwater.client.protocol import Client
from tests._servers import SharedServers

TRANSPORTS = ["local-sqlite", "local-postgresql", "http-sqlite", "http-postgresql"]


@pytest.fixture(scope="session")
def local_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('conformance') / 'headwater.db'}"


@pytest.fixture(params=TRANSPORTS)
def client(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    shared_servers: SharedServers,
    local_sqlite_url: str,
) -> Iterator[Client]:
    transport, kind = request.param.split("-")
    made: Client
    if transport == "local":
        from headwater.client.local import LocalClient

        url = local_sqlite_url if kind == "sqlite" else request.getfixturevalue("pg_url")
        monkeypatch.setenv("HEADWATER_DATABASE_URL", url)
        made = LocalClient(url)
    else:
        from headwater.client.http import HttpClient

        server = shared_servers.get(kind)
        monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
        made = HttpClient(server.api_url, retry_seconds=10)
    with made as entered:
        assert entered is made
        yield made


@pytest.fixture
def flows_file(tmp_path: Path) -> Path:
    """A module of flows with an entrypoint, for runs started or retried by id."""
    path = tmp_path / "conformance_flows.py"
    path.write_text(FLOWS)
    return path


FLOWS = """
import os

from headwater import flow, task


@task(persist_result=True)
def double(x: int) -> int:
    return 2 * x


@flow(name="conformance-add")
def add(a: int, b: int = 1) -> int:
    if os.environ.get("CONFORMANCE_FAIL") == "1":
        raise RuntimeError("asked to fail")
    return double(a) + b
"""
