"""Reading events: Prefect 3's ``EventFilter`` shape (occurred, event, resource,
related), with ``prefect.`` names accepted for ``headwater.`` ones."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field, field_validator

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import Offset

_PREFIX = "headwater."
_ALIAS = "prefect."


def _norm(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [_PREFIX + v[len(_ALIAS) :] if v.startswith(_ALIAS) else v for v in values]


class EventOccurredFilter(Schema):
    since: Timestamp | None = None
    until: Timestamp | None = None


class EventNameFilter(Schema):
    prefix: list[str] | None = Field(default=None, max_length=100)
    exclude_prefix: list[str] | None = Field(default=None, max_length=100)
    name: list[str] | None = Field(default=None, max_length=100)
    exclude_name: list[str] | None = Field(default=None, max_length=100)

    _norm = field_validator("prefix", "exclude_prefix", "name", "exclude_name")(_norm)


class EventResourceFilter(Schema):
    id: list[str] | None = Field(default=None, max_length=1000)
    id_prefix: list[str] | None = Field(default=None, max_length=100)

    _norm = field_validator("id", "id_prefix")(_norm)


class EventRelatedFilter(Schema):
    """Events with a related resource of one of these ids (and role, if given)."""

    id: list[str] | None = Field(default=None, max_length=1000)
    role: list[str] | None = Field(default=None, max_length=50)

    _norm = field_validator("id")(_norm)


class EventIdFilter(Schema):
    id: list[UUID] | None = Field(default=None, max_length=1000)


class EventFilter(Schema):
    """Every field narrows; unset fields do not filter.  ``any_resource``: the resource
    or a related resource has one of these ids."""

    occurred: EventOccurredFilter = Field(default_factory=EventOccurredFilter)
    event: EventNameFilter | None = None
    resource: EventResourceFilter | None = None
    related: EventRelatedFilter | None = None
    any_resource: EventResourceFilter | None = None
    id: EventIdFilter | None = None
    order: Literal["ASC", "DESC"] = "DESC"


class EventFilterRequest(Schema):
    filter: EventFilter = Field(default_factory=EventFilter)
    limit: int = Field(default=50, ge=1, le=1000)
    offset: Offset = 0


class EventPage(Schema):
    events: list[dict[str, Any]]
    total: int
    next_page: str | None = None
