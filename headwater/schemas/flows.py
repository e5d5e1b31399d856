"""A flow: the named template whose runs are flow runs."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp


class Flow(Schema):
    id: UUID
    name: str = Field(max_length=200)
    tags: list[str] = Field(default_factory=list)
    created: Timestamp
    updated: Timestamp
