"""A server whose store is broken says so: busy (retry) is told from broken (a full
disk, files made read-only) in every error body, ``/api/health`` reports the store
unhealthy (a write probe), and the client's error names the real cause."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from headwater.client.http import HttpClient
from headwater.exceptions import StoreUnwritable
from headwater.schemas.store_errors import PERMANENT
from headwater.states import Running
from tests._servers import ServerProcess
from tests.engine.test_store_faults import _small_tmpfs


def _fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False
    )
    return filler


def _health_until(api: httpx.Client, status: int, timeout: float = 15) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get("/health")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_a_full_disk_is_named_and_unhealthy_until_space_is_freed(tmp_path: Path) -> None:
    with _small_tmpfs(tmp_path / "disk", "4m") as disk:
        url = f"sqlite:///{disk / 'headwater.db'}"
        with (
            ServerProcess(tmp_path / "server", database_url=url) as server,
            httpx.Client(base_url=server.api_url, timeout=30) as api,
        ):
            assert api.get("/health").json() == {"status": "ok"}
            filler = _fill(disk)
            # Some writes fit in pages already there: write until the store refuses.
            for _ in range(2000):
                created = api.post("/flow_runs", json={"flow_name": "full", "name": "x" * 190})
                if created.status_code != 201:
                    break
            assert created.status_code == 507, created.text
            body = created.json()
            assert body["error"] == "store_full" and "free disk space" in body["detail"]
            assert "Retry-After" not in created.headers
            health = _health_until(api, 507)
            assert health.status_code == 507
            assert health.json()["status"] == "unhealthy"
            assert health.json()["error"] == "store_full"
            client = HttpClient(server.api_url)
            try:
                with pytest.raises(StoreUnwritable, match=r"disk is full.*free disk space"):
                    client.create_flow_run({"flow_name": "full", "name": "y"}, Running())
            finally:
                client.close()
            filler.unlink()
            assert _health_until(api, 200).json() == {"status": "ok"}


def _immutable(*paths: Path) -> Iterator[None]:
    for path in paths:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot make files immutable here: {made.stderr.strip()}")
    try:
        yield
    finally:
        for path in paths:
            subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_store_made_read_only_while_serving_is_unhealthy_and_named(tmp_path: Path) -> None:
    home = tmp_path / "server"
    with (
        ServerProcess(home) as server,
        httpx.Client(base_url=server.api_url, timeout=30) as api,
    ):
        assert api.post("/flow_runs", json={"flow_name": "ro"}).status_code == 201
        db = home / "headwater.db"
        breaker = _immutable(db, db.with_name("headwater.db-wal"))
        next(breaker)
        try:
            time.sleep(1.1)  # past the write probe's cached answer
            health = _health_until(api, 503)
            assert health.status_code == 503, health.text
            assert health.json()["status"] == "unhealthy"
            assert health.json()["error"] in PERMANENT
            created = api.post("/flow_runs", json={"flow_name": "ro"})
            assert created.status_code == 503 and created.json()["error"] in PERMANENT
            assert "Retry-After" not in created.headers
            client = HttpClient(server.api_url)
            started = time.monotonic()
            try:
                with pytest.raises(StoreUnwritable, match="cannot be written") as caught:
                    client.create_flow_run({"flow_name": "ro", "name": "y"}, Running())
            finally:
                client.close()
            assert time.monotonic() - started < 5  # no retrying a broken store
            assert "cannot reach" not in str(caught.value)
        finally:
            breaker.close()
        assert _health_until(api, 200).json() == {"status": "ok"}
