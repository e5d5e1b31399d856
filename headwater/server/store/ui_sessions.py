"""UI sessions in the store: created at sign-in, looked up on each UI request,
deleted at sign-out, and pruned once idle or past their lifetime.

Rows are keyed by an opaque id (the UI derives it from the cookie with an HMAC, see
``server/ui/session.py``); nothing here knows about cookies.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, or_, select, update

from headwater.server.db.tables import ui_sessions


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lives: ``idle`` seconds without a request, ``lifetime``
    seconds after sign-in at most."""

    idle: float
    lifetime: float

    @property
    def touch_every(self) -> float:
        """``last_seen`` is written at most this often (not one write per request)."""
        return min(60.0, self.idle / 4)


def create_session(conn: Connection, *, session_id: str, now: float, limits: SessionLimits) -> None:
    conn.execute(
        insert(ui_sessions).values(
            id=session_id, created=now, last_seen=now, expires=now + limits.lifetime
        )
    )


def session_alive(last_seen: float, expires: float, now: float, limits: SessionLimits) -> bool:
    return now < expires and now - last_seen < limits.idle


def read_session(conn: Connection, *, session_id: str) -> tuple[float, float] | None:
    """``(last_seen, expires)`` of a session, or None when there is no such session."""
    row = conn.execute(
        select(ui_sessions.c.last_seen, ui_sessions.c.expires).where(ui_sessions.c.id == session_id)
    ).first()
    return (row.last_seen, row.expires) if row is not None else None


def touch_session(conn: Connection, *, session_id: str, now: float) -> None:
    conn.execute(update(ui_sessions).where(ui_sessions.c.id == session_id).values(last_seen=now))


def delete_session(conn: Connection, *, session_id: str) -> bool:
    """Delete one session; whether it existed."""
    return bool(conn.execute(delete(ui_sessions).where(ui_sessions.c.id == session_id)).rowcount)


def _expired(now: float, limits: SessionLimits) -> object:
    c = ui_sessions.c
    return or_(c.expires <= now, c.last_seen <= now - limits.idle)


def any_expired(conn: Connection, *, now: float, limits: SessionLimits) -> bool:
    query = select(ui_sessions.c.id).where(_expired(now, limits)).limit(1)  # type: ignore[arg-type]
    return conn.execute(query).first() is not None


def prune_sessions(conn: Connection, *, now: float, limits: SessionLimits) -> int:
    """Delete every idle or expired session; how many went."""
    query = delete(ui_sessions).where(_expired(now, limits))  # type: ignore[arg-type]
    return int(conn.execute(query).rowcount or 0)
