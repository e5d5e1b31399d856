"""Substring search with LIKE: the one place user text becomes a LIKE pattern.

A user searching for ``100%`` or ``load_csv`` means those characters, not the
wildcards ``%`` (any run of characters) and ``_`` (any one character).  Every
``name_like`` and log-text filter goes through :func:`contains_text`, so the escaping
is written once and behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql.elements import ColumnElement

#: The escape character given to LIKE; chosen so it never needs quoting in SQL text.
ESCAPE = "!"


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (and the escape character itself) made literal."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` literally, ignoring case."""
    return column.ilike(f"%{escape_like(text)}%", escape=ESCAPE)
