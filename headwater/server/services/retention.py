"""Retention: finished flow runs older than ``HEADWATER_RETENTION_DAYS`` are deleted.

A pass runs at start and then once an hour (a store holds no finished run that is
more than an hour past the retention window); ``HEADWATER_RETENTION_DAYS=0`` keeps
everything.  The work itself is ``server.store.retention.prune``: small batches with
a pause between them, so the API's writers are never held up for long.
"""

from __future__ import annotations

import logging
import threading
import time

from headwater.server.db.database import Database
from headwater.server.store.retention import cutoff_for, default_storage_root, prune
from headwater.settings import get_settings

logger = logging.getLogger("headwater.retention")

#: Seconds between two passes over one store.
EVERY = 3600.0

_last_pass: dict[str, float] = {}
_lock = threading.Lock()


def run_once(db: Database, now: float | None = None) -> int:
    """Prune when a pass is due; how many flow runs were deleted."""
    settings = get_settings()
    if settings.retention_days <= 0:
        return 0
    clock = time.monotonic()
    with _lock:
        last = _last_pass.get(db.url)
        if last is not None and clock - last < EVERY:
            return 0
        _last_pass[db.url] = clock
    report = prune(
        db,
        cutoff=cutoff_for(settings.retention_days, now),
        storage_root=default_storage_root(settings.home),
    )
    if report.flow_runs:
        logger.info(
            "retention: deleted %d finished flow runs older than %g days (%s)",
            report.flow_runs,
            settings.retention_days,
            ", ".join(f"{n} {kind}" for kind, n in report.counts.items() if n),
        )
    return report.flow_runs
