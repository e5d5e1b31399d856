"""The ``error`` codes of a store that is busy or broken (plain Python).

The API answers a store error with ``{"detail": "...", "error": CODE}``: ``store_busy``
or ``store_unavailable`` (503 with ``Retry-After``: retry) or one of ``PERMANENT`` (the
store will not accept writes until someone fixes it: clients stop retrying and name
the cause).  The server
side tells them apart in ``headwater.server.db.store_errors.classify``.
"""

from __future__ import annotations

from typing import Final

STORE_BUSY: Final = "store_busy"
STORE_FULL: Final = "store_full"
STORE_READ_ONLY: Final = "store_read_only"
SCHEMA_MISMATCH: Final = "schema_mismatch"
#: Another failure of the store or its disk (an immutable or damaged file, a failing
#: disk): SQLite says "disk I/O error" or "malformed".
STORE_ERROR: Final = "store_error"

#: Codes of a store that will not accept writes until someone fixes it.
PERMANENT: Final = frozenset({STORE_FULL, STORE_READ_ONLY, SCHEMA_MISMATCH, STORE_ERROR})

#: What to do about each permanent error (the second half of a one-line message).
HINTS: Final = {
    STORE_FULL: "free disk space where the store lives",
    STORE_READ_ONLY: "make the store writable (file permissions, a read-only filesystem)",
    SCHEMA_MISMATCH: "run `headwater server database upgrade`, or use a matching Headwater",
    STORE_ERROR: "check the disk and the store's files (permissions, attributes, damage)",
}
