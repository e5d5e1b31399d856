"""Telling a busy store from a broken one.

A database error is either worth a retry (the store is locked, busy, or its
connection dropped) or not: the disk is full, the store is read-only, its files
cannot be written, or its schema does not match this Headwater.  ``classify``
answers with the code (``headwater.schemas.store_errors``) that the API puts in its
error body and clients act on: ``store_busy`` is retried, the others (``PERMANENT``)
end the run with a message naming the cause and what to do.
"""

from __future__ import annotations

from headwater.schemas.store_errors import (
    PERMANENT,
    SCHEMA_MISMATCH,
    STORE_BUSY,
    STORE_ERROR,
    STORE_FULL,
    STORE_READ_ONLY,
)

__all__ = ["PERMANENT", "classify", "describe", "is_conflict"]

# SQLite primary result codes (the low byte of ``sqlite_errorcode``).
_SQLITE = {
    5: STORE_BUSY,  # SQLITE_BUSY
    6: STORE_BUSY,  # SQLITE_LOCKED
    8: STORE_READ_ONLY,  # SQLITE_READONLY
    10: STORE_ERROR,  # SQLITE_IOERR
    11: STORE_ERROR,  # SQLITE_CORRUPT
    13: STORE_FULL,  # SQLITE_FULL
    26: STORE_ERROR,  # SQLITE_NOTADB
}
# Python < 3.11 has no error codes on sqlite3 exceptions: their messages, then.
_SQLITE_MESSAGES = (
    ("database is locked", STORE_BUSY),
    ("database table is locked", STORE_BUSY),
    ("database or disk is full", STORE_FULL),
    ("readonly database", STORE_READ_ONLY),
    ("disk i/o error", STORE_ERROR),
    ("malformed", STORE_ERROR),
    ("no such table", SCHEMA_MISMATCH),
    ("no such column", SCHEMA_MISMATCH),
    ("has no column named", SCHEMA_MISMATCH),
)
# PostgreSQL SQLSTATEs (exact codes first, then classes).
_POSTGRES = {
    "53100": STORE_FULL,  # disk_full
    "25006": STORE_READ_ONLY,  # read_only_sql_transaction
    "42P01": SCHEMA_MISMATCH,  # undefined_table
    "42703": SCHEMA_MISMATCH,  # undefined_column
    "40001": STORE_BUSY,  # serialization_failure
    "40P01": STORE_BUSY,  # deadlock_detected
    "55P03": STORE_BUSY,  # lock_not_available
    "53300": STORE_BUSY,  # too_many_connections
    "57P01": STORE_BUSY,  # admin_shutdown
    "57P02": STORE_BUSY,  # crash_shutdown
    "57P03": STORE_BUSY,  # cannot_connect_now
}
_POSTGRES_CLASSES = {"08": STORE_BUSY}  # connection exceptions


def classify(exc: BaseException) -> str | None:
    """The store error code for a database exception (SQLAlchemy's or the driver's),
    or None when it is not a store condition (a bug, bad data)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return STORE_BUSY  # the connection dropped; the pool reconnects
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _POSTGRES.get(sqlstate) or _POSTGRES_CLASSES.get(sqlstate[:2])
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE:
        return _SQLITE[code & 0xFF]
    if type(orig).__module__ == "sqlite3":
        message = str(orig).lower()
        for fragment, kind in _SQLITE_MESSAGES:
            if fragment in message:
                return kind
    return None


#: PostgreSQL aborted the transaction to let another go on: doing it again is right.
_CONFLICTS = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_conflict(exc: BaseException) -> bool:
    """Was ``exc`` a transaction picked as a deadlock victim or failing serialization
    (PostgreSQL)?  Running the whole transaction again is the cure."""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) in _CONFLICTS


def describe(exc: BaseException) -> str:
    """The database's own words for ``exc``, on one line."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0][:300] if text else type(orig).__name__
