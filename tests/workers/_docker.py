"""A real Docker daemon for the docker worker's tests, and the Headwater image they
run, built without any registry (scripts/build-image.sh).

The daemon listens on a private socket and keeps its images under
``$HEADWATER_TEST_CACHE/docker-data`` (default /var/cache/headwater-test), so the
base image and the Headwater image of unchanged sources are reused by the next
session; a file lock keeps two sessions from sharing that directory at once.  With
``HEADWATER_TEST_DOCKER_HOST`` set, that daemon is used instead."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("HEADWATER_TEST_CACHE", "/var/cache/headwater-test"))


def _docker_ok(host: str) -> bool:
    done = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env={**os.environ, "DOCKER_HOST": host},
        capture_output=True,
        timeout=20,
    )
    return done.returncode == 0


@contextlib.contextmanager
def docker_daemon() -> Iterator[str]:
    """The ``DOCKER_HOST`` of a running daemon (skips when docker cannot run here)."""
    given = os.environ.get("HEADWATER_TEST_DOCKER_HOST")
    if given:
        yield given
        return
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        pytest.skip("docker cannot run here: dockerd is not installed (apt-get install docker.io)")
    if os.geteuid() != 0:
        pytest.skip("docker cannot run here: starting dockerd needs root")
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "dockerd.lock").open("w") as lock:
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail("another test session held the docker daemon for 10 minutes")
                time.sleep(1)
        run_dir = tempfile.mkdtemp(prefix="hwd-", dir="/tmp")
        try:
            socket = f"unix://{run_dir}/docker.sock"
            log = Path(run_dir) / "dockerd.log"
            with log.open("wb") as out:
                daemon = subprocess.Popen(
                    [
                        "dockerd",
                        "--bridge=none",
                        "--iptables=false",
                        "-H",
                        socket,
                        "--data-root",
                        str(CACHE / "docker-data"),
                        "--exec-root",
                        f"{run_dir}/exec",
                        "--pidfile",
                        f"{run_dir}/docker.pid",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + 60
                while not _docker_ok(socket):
                    if daemon.poll() is not None or time.monotonic() > deadline:
                        pytest.skip(f"docker cannot run here: dockerd failed:\n{log.read_text()}")
                    time.sleep(0.5)
                yield socket
            finally:
                _remove_test_containers(socket)
                daemon.terminate()
                try:
                    daemon.wait(30)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait(10)
        finally:
            # the daemon may leave its network namespace mounted under the exec root
            subprocess.run(
                ["umount", "--lazy", f"{run_dir}/exec/netns/default"], capture_output=True
            )
            shutil.rmtree(run_dir, ignore_errors=True)


def _remove_test_containers(host: str) -> None:
    env = {**os.environ, "DOCKER_HOST": host}
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=headwater.worker-type"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    if listed:
        subprocess.run(["docker", "rm", "-f", *listed], env=env, capture_output=True)


def source_digest() -> str:
    """Changes when anything installed into the image changes."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "headwater").rglob("*"))
    files += [ROOT / "pyproject.toml", ROOT / "scripts" / "build-image.sh"]
    files += sorted((ROOT / "docker").glob("Dockerfile.*"))
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def headwater_image(host: str) -> str:
    """A tag of the Headwater image of these sources, built when missing."""
    import sys

    tag = f"headwater-test:{source_digest()}"
    env = {**os.environ, "DOCKER_HOST": host, "HEADWATER_IMAGE_CACHE": str(CACHE)}
    if subprocess.run(["docker", "image", "inspect", tag], env=env, capture_output=True).returncode:
        built = subprocess.run(
            [str(ROOT / "scripts" / "build-image.sh"), tag],
            env={**env, "PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert built.returncode == 0, f"building {tag} failed:\n{built.stderr[-3000:]}"
        old = subprocess.run(
            ["docker", "image", "ls", "headwater-test", "--format", "{{.Repository}}:{{.Tag}}"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout.split()
        stale = [name for name in old if name != tag]
        if stale:  # the cache keeps one image of the test sources
            subprocess.run(["docker", "rmi", *stale], env=env, capture_output=True)
    return tag
