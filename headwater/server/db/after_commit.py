"""Side effects that must wait for a write transaction to commit.

A store function that changes something others wait for (a lease released, a slot
freed) registers what to do afterwards with ``after_commit(conn, fn, *args)``;
``Database.begin_write`` runs it once the transaction has committed, and never
when it rolls back.  Outside ``begin_write`` (a plain connection) the call runs at
once.  A failing callback is logged, never raised: the write it follows succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

logger = logging.getLogger("headwater.store")

#: Key of the pending callbacks in ``Connection.info`` while a write transaction is open.
KEY = "headwater_after_commit"
#: Key of the ``Database`` the write transaction is on (a callback may need to write).
DATABASE = "headwater_database"

Callback = tuple[Callable[..., Any], tuple[Any, ...]]


def after_commit(conn: Connection, fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` once ``conn``'s write transaction has committed."""
    pending: list[Callback] | None = conn.info.get(KEY)
    if pending is None:
        run_callbacks([(fn, args)])
    else:
        pending.append((fn, args))


def run_callbacks(callbacks: list[Callback]) -> None:
    for fn, args in callbacks:
        try:
            fn(*args)
        except Exception:
            logger.exception("an after-commit callback (%s) failed", getattr(fn, "__name__", fn))
