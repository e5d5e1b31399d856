"""An exclusive lock between processes on one machine: ``flock`` on ``<path>.lock``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold the lock of ``path`` (its ``.lock`` file, created if missing) while inside."""
    import fcntl

    with open(f"{path}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
