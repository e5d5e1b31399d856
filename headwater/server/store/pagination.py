"""Keyset pagination: a page starts strictly after the previous page's last row.

A sort order is a tuple of ``SortKey`` ending with the row id, so every row has a
unique position.  The cursor handed to clients is that position (the last row's
sort values, as stored: epoch floats keep their full precision) with the sort's
name, base64-encoded: opaque to clients, stable while rows are added, and served by
the same index that serves the sort.  Offsets still work; cursors do not get slower
as a client pages deeper.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

from headwater.exceptions import UserInputError

MAX_CURSOR_CHARS = 1000


class InvalidCursor(UserInputError):
    """A pagination cursor that this server did not make (or made for another sort)."""


@dataclass(frozen=True)
class SortKey:
    """One column of a sort order; ``kind`` is the Python type of its values."""

    column: Any
    descending: bool = False
    nullable: bool = False
    kind: type = float

    def order(self) -> Any:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nullable else ordered


def order_by(keys: Sequence[SortKey]) -> list[Any]:
    return [key.order() for key in keys]


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the position ``values`` in the order ``keys`` (nulls last)."""
    clauses = []
    for i, key in enumerate(keys):
        beyond = _beyond(key, values[i])
        if beyond is None:
            continue
        prefix = [_equal(k, v) for k, v in zip(keys[:i], values[:i], strict=True)]
        clauses.append(and_(*prefix, beyond))
    return or_(*clauses) if clauses else false()


def _equal(key: SortKey, value: Any) -> Any:
    return key.column.is_(None) if value is None else key.column == value


def _beyond(key: SortKey, value: Any) -> Any:
    if value is None:  # nulls come last: nothing is beyond a null in this column
        return None
    beyond = key.column < value if key.descending else key.column > value
    return or_(beyond, key.column.is_(None)) if key.nullable else beyond


def cursor_for(sort_name: str, keys: Sequence[SortKey], row: Any) -> str:
    """The cursor pointing just after ``row`` (a result row holding every key column)."""
    mapping = row._mapping
    values: list[Any] = []
    for key in keys:
        value = mapping[key.column]
        values.append(value.hex if isinstance(value, UUID) else value)
    raw = json.dumps([sort_name, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort_name: str, keys: Sequence[SortKey]) -> list[Any]:
    """The position a cursor names; ``InvalidCursor`` for anything else."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor("cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("cursor is not one this server made") from None
    if not isinstance(data, list) or len(data) != len(keys) + 1:
        raise InvalidCursor("cursor is not one this server made")
    if data[0] != sort_name:
        raise InvalidCursor(f"cursor was made for sort {data[0]!r}, not {sort_name!r}")
    values: list[Any] = []
    for key, value in zip(keys, data[1:], strict=True):
        values.append(_checked(key, value))
    return values


def _checked(key: SortKey, value: Any) -> Any:
    if value is None and key.nullable:
        return None
    if key.kind is UUID and isinstance(value, str):
        try:
            return UUID(hex=value)
        except ValueError:
            pass
    elif key.kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
    elif key.kind is str and isinstance(value, str):
        return value
    raise InvalidCursor("cursor is not one this server made")
