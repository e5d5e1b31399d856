"""Saved filters: a named view of a UI list, kept in the store (``/api/saved_filters``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from headwater.schemas.base import Schema, Timestamp

#: The lists that take saved filters.
PAGES = ("flow-runs",)
MAX_QUERY_CHARS = 2_000

FilterName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SavedFilterCreate(Schema):
    page: Annotated[str, Field(pattern=r"^(flow-runs)$")] = "flow-runs"
    name: FilterName
    #: The list's query string, e.g. ``state=FAILED&flow=etl`` (no leading ``?``).
    query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)] = ""


class SavedFilterRead(Schema):
    id: UUID
    page: str
    name: str
    query: str
    created: Timestamp
