"""Slots between real processes: a killed holder's slot comes back within the lease;
20 contending processes never hold more slots than the limit; a rate limit holds its
rate.  Embedded SQLite, embedded PostgreSQL, and through a server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from headwater.client import open_client
from headwater.concurrency.sync import concurrency
from headwater.schemas.concurrency import ConcurrencyLimitCreate
from tests._servers import ServerProcess

REPO = Path(__file__).resolve().parents[2]
#: Contending processes and acquisitions each (the issue asks 20 x 50: set these;
#: 10 x 20 by default keeps the test under a minute per store on a busy 2-core machine).
PROCESSES = int(os.environ.get("HEADWATER_TEST_CONTENDERS", "10"))
ACQUISITIONS = int(os.environ.get("HEADWATER_TEST_ACQUISITIONS", "20"))


@pytest.fixture(params=["sqlite", "postgresql", "server"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Where the processes meet: an embedded store (SQLite, PostgreSQL) or a server of
    this test's own (with a short lease, so a killed holder's slot comes back soon)."""
    monkeypatch.setenv("HEADWATER_LEASE_SECONDS", "3")
    if request.param == "server":
        server = ServerProcess(tmp_path / "server", extra_env={"HEADWATER_LEASE_SECONDS": "3"})
        request.addfinalizer(server.stop)
        server.start()
        server.wait_ready()
        monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    elif request.param == "sqlite":
        url = f"sqlite:///{request.getfixturevalue('headwater_home') / 'headwater.db'}"
        monkeypatch.setenv("HEADWATER_DATABASE_URL", url)
    else:
        monkeypatch.setenv("HEADWATER_DATABASE_URL", request.getfixturevalue("pg_url"))
    return request.param


def _limit(name: str, limit: int, decay: float = 0.0) -> None:
    with open_client() as client:
        client.create_concurrency_limit(
            ConcurrencyLimitCreate(name=name, limit=limit, slot_decay_per_second=decay)
        )


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "benchmarks" / "_contender.py"), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_holder_frees_its_slot_within_the_lease(store: str) -> None:
    name = f"kill-{uuid.uuid4().hex[:8]}"
    _limit(name, 1)
    holder = _spawn("hold", name)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        time.sleep(4)  # outlives one lease: the holder renews it while alive
        with open_client() as client:
            assert client.read_concurrency_limit(name).active_slots == 1
        holder.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        with concurrency(name, timeout_seconds=10):
            waited = time.monotonic() - killed
    finally:
        holder.kill()
        holder.communicate()
    assert waited <= 3 + 1.5  # the lease (3 s) plus the renewal it may have just made


def test_contending_processes_never_exceed_the_limit(store: str, tmp_path: Path) -> None:
    name = f"three-{uuid.uuid4().hex[:8]}"
    _limit(name, 3)
    out = str(tmp_path / "holdings.txt")
    procs = [_spawn("loop", name, str(ACQUISITIONS), out) for _ in range(PROCESSES)]
    try:
        time.sleep(1.0)
        Path(out + ".go").touch()
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-2000:]
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()
    holdings = [tuple(map(float, line.split())) for line in Path(out).read_text().splitlines()]
    assert len(holdings) == PROCESSES * ACQUISITIONS
    events = sorted([(s, 1) for s, _ in holdings] + [(e, -1) for _, e in holdings])
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    assert peak <= 3
    assert peak >= 2  # they did contend (3 at once is usual, not certain)
    with open_client() as client:
        read = client.read_concurrency_limit(name)
    assert read.active_slots == 0 and read.queue_length == 0


def test_a_rate_limit_holds_its_rate(store: str, tmp_path: Path) -> None:
    name = f"rate-{uuid.uuid4().hex[:8]}"
    _limit(name, 10, decay=10)
    out = str(tmp_path / "calls.txt")
    procs = [_spawn("rate", name, "7.5", out) for _ in range(3)]
    try:
        time.sleep(1.0)
        Path(out + ".go").touch()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()
    stamps = sorted(float(line) for line in Path(out).read_text().splitlines())
    # A first burst of up to 10, then 10/s: once the burst is spent (the bucket stays
    # full while the processes keep calling), count a 5 s window.
    start = stamps[25]
    window = [stamp for stamp in stamps if start <= stamp < start + 5]
    assert 45 <= len(window) <= 55, len(window)
