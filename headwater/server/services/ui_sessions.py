"""UI session sweep: delete sessions idle for ``HEADWATER_UI_SESSION_IDLE_SECONDS`` or
past ``HEADWATER_UI_SESSION_LIFETIME_SECONDS`` (a cheap read first: no write
transaction when none is due).  A request with an expired session deletes it too;
this pass removes those whose browser never comes back."""

from __future__ import annotations

import time

from headwater.server.db.database import Database
from headwater.server.store.ui_sessions import SessionLimits, any_expired, prune_sessions
from headwater.settings import get_settings


def run_once(db: Database, now: float | None = None) -> int:
    """Delete expired sessions; how many went."""
    settings = get_settings()
    limits = SessionLimits(
        idle=settings.ui_session_idle_seconds, lifetime=settings.ui_session_lifetime_seconds
    )
    now = now if now is not None else time.time()
    with db.begin_read() as conn:
        if not any_expired(conn, now=now, limits=limits):
            return 0
    with db.begin_write() as conn:
        return prune_sessions(conn, now=now, limits=limits)
