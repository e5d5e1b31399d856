"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, String, Table, and_, exists, func, literal, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from headwater.server.db.text_match import ESCAPE, escape_like


def insert_for(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_nothing/update`` on this database."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(table)


def json_array_contains(column: Any, value: str, dialect_name: str) -> ColumnElement[bool]:
    """``value`` is an element of the JSON array in ``column``."""
    if dialect_name == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSONB

        return column.op("@>")(cast([value], JSONB))
    items = func.json_each(column).table_valued("value")
    exact = exists(select(literal(1)).select_from(items).where(items.c.value == value))
    # A cheap text test first: the stored array holds the element JSON-encoded, so a
    # row without that text cannot match and json_each runs only on candidates.
    encoded = json.dumps(value)
    pattern = f"%{escape_like(encoded)}%"
    return and_(type_coerce(column, String).like(pattern, escape=ESCAPE), exact)
