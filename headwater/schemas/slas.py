"""Service level agreements of a deployment (Prefect 3's experimental SLAs).

``time-to-completion``: a run not in a final state ``duration`` seconds after it
started.  ``lateness``: a run not started ``duration`` seconds after its scheduled
time.  ``frequency``: no completed run for ``duration`` seconds.  Prefect's field
names are accepted: ``within`` (lateness) and ``stale_after`` (frequency) for
``duration``; with no ``type``, it follows from which of the three is given.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from headwater.schemas.actions import check_json_document
from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import Name

SlaType = Literal["time-to-completion", "lateness", "frequency"]
Severity = Literal["minor", "low", "moderate", "high", "critical"]
SLA_TYPES: tuple[str, ...] = ("time-to-completion", "lateness", "frequency")
#: Prefect's name of each type's duration field.
DURATION_FIELDS = {
    "time-to-completion": "duration",
    "lateness": "within",
    "frequency": "stale_after",
}
_TYPE_OF_FIELD = {"within": "lateness", "stale_after": "frequency"}
_TYPE_ALIASES = {
    "time_to_completion": "time-to-completion",
    "timetocompletionsla": "time-to-completion",
    "latenesssla": "lateness",
    "frequencysla": "frequency",
}


def _seconds(value: Any) -> Any:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def _class_type(cls: Any) -> str | None:
    default = cls.model_fields["type"].default
    return default if isinstance(default, str) else None


class SlaCreate(Schema):
    """An SLA of a deployment; its ``name`` is unique in the deployment (creating one
    with a name in use replaces it)."""

    name: Name
    type: SlaType
    duration: Annotated[float, Field(gt=0, le=366 * 86400)] = Field(
        description="Seconds: the run time, lateness or gap between completed runs allowed."
    )
    severity: Severity = "moderate"
    labels: Annotated[dict[str, str], Field(max_length=50)] = Field(
        default_factory=dict, description="Added to the violation event's resource."
    )
    enabled: bool = True

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return check_json_document(value, "labels")

    @model_validator(mode="before")
    @classmethod
    def _prefect_shapes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        kind = data.get("type")
        if isinstance(kind, str):
            kind = _TYPE_ALIASES.get(kind.lower(), kind)
        for field, implied in _TYPE_OF_FIELD.items():
            if field in data:
                value = data.pop(field)
                if value is None:
                    continue
                if data.get("duration") is not None:
                    raise ValueError(f"give duration or {field}, not both")
                data["duration"] = value
                kind = kind or _class_type(cls) or implied
        if kind is None:
            kind = _class_type(cls)  # a subclass of one type (headwater.slas)
            if kind is None and "duration" in data:
                kind = "time-to-completion"
        if kind is not None:
            data["type"] = kind
        if "duration" in data:
            data["duration"] = _seconds(data["duration"])
        return data


class Sla(SlaCreate):
    id: UUID
    deployment_id: UUID
    created: Timestamp
    updated: Timestamp
