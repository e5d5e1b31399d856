"""``headwater server start`` and ``headwater server database ...`` as users run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests._servers import ServerProcess, free_port


def headwater(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    environ.update(HEADWATER_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "headwater", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_serves_the_api_and_prints_where(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as server:
        assert httpx.get(f"{server.api_url}/health").json() == {"status": "ok"}
        log = server.log()
        assert f"HEADWATER_API_URL={server.api_url}" in log
        assert "docs at" in log


def test_start_on_a_busy_port_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = headwater("server", "start", "--port", str(port), home=tmp_path)
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_start_with_a_bad_store_url_fails_in_one_line(tmp_path: Path) -> None:
    done = headwater(
        "server",
        "start",
        "--port",
        str(free_port()),
        home=tmp_path,
        HEADWATER_DATABASE_URL="mysql://nope/db",
    )
    assert done.returncode == 1
    assert "unsupported database" in done.stderr and "Traceback" not in done.stderr


def test_database_upgrade_downgrade_reset(tmp_path: Path) -> None:
    upgraded = headwater("server", "database", "upgrade", home=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from empty" in upgraded.stdout
    again = headwater("server", "database", "upgrade", home=tmp_path)
    assert "already at revision" in again.stdout
    refused = headwater("server", "database", "reset", home=tmp_path)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    reset = headwater("server", "database", "reset", "--yes", home=tmp_path)
    assert reset.returncode == 0 and "reset" in reset.stdout
    unknown = headwater("server", "database", "downgrade", "-r", "9999", home=tmp_path)
    assert unknown.returncode == 1 and "unknown revision" in unknown.stderr
    down = headwater("server", "database", "downgrade", "-r", "base", home=tmp_path)
    assert down.returncode == 0, down.stderr
    back = headwater("server", "database", "upgrade", home=tmp_path)
    assert back.returncode == 0, back.stderr
