"""What clients send to change things: request bodies of the REST API.

Every field is bounded (see ``limits``), so a client's mistake is a 422 naming the
field rather than a 500 or an oversized row.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, field_validator

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import (
    MAX_NAME_CHARS,
    MAX_PARAMETERS_BYTES,
    Key,
    Message,
    Name,
    Tags,
)
from headwater.states import State, StateDetails, StateType
from headwater.utilities.storable import json_problem


class FlowCreate(Schema):
    name: Name


class StateDetailsCreate(Schema):
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    scheduled_time: Timestamp | None = None
    cache_key: Key | None = None
    cache_expiration: Timestamp | None = None
    retriable: bool | None = None
    pause_timeout: Timestamp | None = None
    pause_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    #: Where a persisted result lives (a flow run with ``persist_result=True``).
    result_ref: dict[str, Any] | None = None


class StateCreate(Schema):
    """A state a client proposes; ``timestamp`` defaults to the server's clock."""

    type: StateType
    name: Name | None = None
    message: Message | None = None
    timestamp: Timestamp | None = None
    state_details: StateDetailsCreate = Field(default_factory=StateDetailsCreate)

    def to_state(self) -> State:
        details = StateDetails(**self.state_details.model_dump(exclude_none=True))
        return State(
            self.type, self.name, self.message, timestamp=self.timestamp, state_details=details
        )


RetryDelay = Annotated[float, Field(ge=0, le=10_000_000, allow_inf_nan=False)]


class EmpiricalPolicy(Schema):
    """How the server retries a failed run."""

    retries: int = Field(default=0, ge=0, le=10_000)
    retry_delay_seconds: RetryDelay | Annotated[list[RetryDelay], Field(max_length=10_000)] = 0.0
    unstored_parameters: Annotated[list[Name], Field(max_length=1000)] | None = Field(
        default=None,
        description="Parameters too large (or not JSON) to store: the run cannot be retried.",
    )


class FlowRunCreate(Schema):
    """A new flow run.  Sending the same ``id`` again, or the same ``idempotency_key`` for
    the same flow, returns the existing run instead of creating another one."""

    id: UUID | None = None
    flow_name: Name
    name: Name | None = None
    flow_version: Annotated[str, Field(max_length=MAX_NAME_CHARS)] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    parent_flow_run_id: UUID | None = None
    parent_task_run_id: UUID | None = None
    idempotency_key: Key | None = None
    empirical_policy: EmpiricalPolicy = Field(default_factory=EmpiricalPolicy)
    expected_start_time: Timestamp | None = None
    entrypoint: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None, description="``path/file.py:function`` or ``module:function`` of the flow."
    )
    state: StateCreate | None = Field(
        default=None, description="The run's first state; Pending when omitted."
    )

    @field_validator("parameters")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_document(value, "parameters")


def check_json_document(value: Any, what: str) -> Any:
    """A JSON document the stores can keep: finite numbers, valid text without NUL,
    bounded size (the same check on SQLite and PostgreSQL, and in both clients)."""
    problem = json_problem(value, what)
    if problem is not None:
        raise ValueError(problem)
    try:
        size = len(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON: {exc}") from None
    if size > MAX_PARAMETERS_BYTES:
        raise ValueError(
            f"{what} are {size:,} characters as JSON; at most {MAX_PARAMETERS_BYTES:,} are accepted"
        )
    return value


class SetFlowRunState(Schema):
    """Propose a state; ``force`` skips the orchestration rules (an operator's override)."""

    state: StateCreate
    force: bool = False
