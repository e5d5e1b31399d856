"""The event record: ``event`` (a dotted name), ``resource`` (labels, one of them
``headwater.resource.id``), ``related`` (resources with a ``headwater.resource.role``),
``payload``, ``occurred``, ``id`` and ``follows`` (the event it comes after)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from headwater.exceptions import EventError
from headwater.utilities.ids import new_id

Resource = dict[str, str]
RelatedResource = dict[str, str]

PREFIX = "headwater."
ALIAS = "prefect."
RESOURCE_ID = "headwater.resource.id"
RESOURCE_ROLE = "headwater.resource.role"
RESOURCE_NAME = "headwater.resource.name"

MAX_NAME = 1024
MAX_LABEL = 1024


def normalize_name(name: str) -> str:
    """``prefect.flow-run.Completed`` → ``headwater.flow-run.Completed`` (Prefect's
    names are accepted everywhere ours are: in events, filters and triggers)."""
    return PREFIX + name[len(ALIAS) :] if name.startswith(ALIAS) else name


def normalize_labels(labels: Mapping[str, Any], *, what: str) -> dict[str, str]:
    """String labels with Prefect's prefix turned into ours, keys and values alike."""
    if not isinstance(labels, Mapping):
        raise EventError(f"{what} must be a mapping of labels, not {type(labels).__name__}")
    out: dict[str, str] = {}
    for key, value in labels.items():
        if not isinstance(key, str):
            raise EventError(f"{what} label names must be strings, not {key!r}")
        text = value if isinstance(value, str) else str(value)
        if len(text) > MAX_LABEL:
            raise EventError(f"{what} label {key!r} is longer than {MAX_LABEL} characters")
        # normalize_name, inlined: this runs for every label of every event ingested.
        if key.startswith(ALIAS):
            key = PREFIX + key[len(ALIAS) :]
        if text.startswith(ALIAS):
            text = PREFIX + text[len(ALIAS) :]
        out[key] = text
    return out


def _checked_name(event: Any) -> str:
    if not isinstance(event, str) or not event.strip():
        raise EventError("an event needs a name, e.g. 'shop.order.paid'")
    if len(event) > MAX_NAME:
        raise EventError(f"an event name is at most {MAX_NAME} characters")
    return normalize_name(event.strip())


def _checked_resource(resource: Mapping[str, Any]) -> dict[str, str]:
    labels = normalize_labels(resource, what="resource")
    if not labels.get(RESOURCE_ID):
        raise EventError(
            "an event's resource needs a 'headwater.resource.id' (or 'prefect.resource.id') label"
        )
    return labels


def _checked_related(related: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out = [normalize_labels(r, what="related resource") for r in related]
    for item in out:
        if not item.get(RESOURCE_ID) or not item.get(RESOURCE_ROLE):
            raise EventError(
                "a related resource needs 'headwater.resource.id' and "
                "'headwater.resource.role' labels"
            )
    return out


def _aware(occurred: dt.datetime | float | None) -> dt.datetime:
    if occurred is None:
        return dt.datetime.now(dt.timezone.utc)
    if isinstance(occurred, dt.datetime):
        return occurred if occurred.tzinfo is not None else occurred.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromtimestamp(float(occurred), dt.timezone.utc)


def check_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """``Event.from_record(record).to_record()`` (the same checks, errors and
    normalising) without building the ``Event``: the ingest path, per event."""
    # In the order ``from_record`` and ``__init__`` check them: the same first error.
    name, resource = record["event"], record["resource"]
    related, payload = record.get("related") or (), record.get("payload") or {}
    occurred = _occurred(record.get("occurred"))
    event_id, follows = _uuid(record.get("id")), _uuid(record.get("follows"))
    checked_name = _checked_name(name)
    checked_resource = _checked_resource(resource)
    checked_related = _checked_related(related)
    checked_payload = dict(payload)
    return {
        "id": event_id or new_id(),
        "occurred": _aware(occurred).timestamp(),
        "event": checked_name,
        "resource": checked_resource,
        "related": checked_related,
        "payload": checked_payload,
        "follows": follows,
    }


class Event:
    """One event.  ``occurred`` is an aware datetime (UTC); ``to_record`` gives the
    plain dict the writer and the API carry (``occurred`` in epoch seconds)."""

    __slots__ = ("event", "follows", "id", "occurred", "payload", "related", "resource")

    def __init__(
        self,
        *,
        event: str,
        resource: Mapping[str, Any],
        related: Iterable[Mapping[str, Any]] = (),
        payload: Mapping[str, Any] | None = None,
        occurred: dt.datetime | float | None = None,
        id: UUID | None = None,
        follows: UUID | None = None,
    ) -> None:
        self.event = _checked_name(event)
        self.resource = _checked_resource(resource)
        self.related = _checked_related(related)
        self.payload = dict(payload or {})
        self.occurred = _aware(occurred)
        self.id = id or new_id()
        self.follows = follows

    @property
    def resource_id(self) -> str:
        return self.resource[RESOURCE_ID]

    def related_of_role(self, role: str) -> list[dict[str, str]]:
        return [r for r in self.related if r.get(RESOURCE_ROLE) == role]

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurred": self.occurred.timestamp(),
            "event": self.event,
            "resource": self.resource,
            "related": self.related,
            "payload": self.payload,
            "follows": self.follows,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what the API answers, and automation templates see)."""
        return {
            "id": str(self.id),
            "occurred": self.occurred.isoformat(),
            "event": self.event,
            "resource": self.resource,
            "related": self.related,
            "payload": self.payload,
            "follows": str(self.follows) if self.follows else None,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        follows = record.get("follows")
        event_id = record.get("id")
        return cls(
            event=record["event"],
            resource=record["resource"],
            related=record.get("related") or (),
            payload=record.get("payload") or {},
            occurred=_occurred(record.get("occurred")),
            id=_uuid(event_id),
            follows=_uuid(follows),
        )

    def __repr__(self) -> str:
        return f"Event(event={self.event!r}, resource={self.resource_id!r}, id={self.id})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and other.to_record() == self.to_record()

    __hash__ = None  # type: ignore[assignment]


def _uuid(value: Any) -> UUID | None:
    if not value:
        return None
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise EventError(f"not a UUID: {value!r}") from None


def _occurred(value: Any) -> dt.datetime | float | None:
    if value is None or isinstance(value, (dt.datetime, float, int)):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"'occurred' is not a timestamp: {value!r}") from None
    raise EventError(f"'occurred' is not a timestamp: {value!r}")
