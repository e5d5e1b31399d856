"""Can the store be written right now?  ``/api/health`` asks this.

A read answers on a full disk or a read-only store, so the probe writes: it rewrites
the schema revision row with its own value and commits (SQLite appends the page to
its log; PostgreSQL refuses the write in a read-only transaction).  The answer is kept
for ``PROBE_SECONDS``, so health checks polled often cost one small write at most
that often.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from headwater.server.db.migrate import VERSION_TABLE
from headwater.server.db.store_errors import classify, describe

PROBE_SECONDS = 1.0


@dataclass(frozen=True)
class ProbeResult:
    """``error`` is None for a writable store, else its store error code."""

    error: str | None
    detail: str
    at: float


_lock = threading.Lock()
_last: dict[int, ProbeResult] = {}


def probe_write(db: Any, *, max_age: float = PROBE_SECONDS) -> ProbeResult:
    """Whether ``db`` takes a write (cached for ``max_age`` seconds per database)."""
    now = time.monotonic()
    with _lock:
        last = _last.get(id(db))
        if last is not None and now - last.at < max_age:
            return last
        try:
            with db.begin_write() as conn:
                column = VERSION_TABLE.c.version_num
                conn.execute(update(VERSION_TABLE).values(version_num=column))
            result = ProbeResult(None, "the store takes writes", now)
        except Exception as exc:
            code = classify(exc)
            if code is None:
                raise
            result = ProbeResult(code, describe(exc), now)
        _last[id(db)] = result
        return result
