"""Concurrency limits and rate limits (``headwater.concurrency``, tag limits on task
runs): what is stored, what a request for slots carries and what it is answered."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from headwater.schemas.base import Schema, Timestamp

#: Tag limits on task runs are the limits named ``tag:<tag>``.
TAG_PREFIX = "tag:"
MAX_LIMIT = 1_000_000
#: The longest a request waits in the server before answering (the client asks again,
#: keeping its place in the queue).
MAX_SERVER_WAIT = 5.0

LimitName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f/%]+$")]
LimitValue = Annotated[int, Field(ge=0, le=MAX_LIMIT)]
Decay = Annotated[float, Field(ge=0, le=MAX_LIMIT)]


def tag_limit_name(tag: str) -> str:
    return TAG_PREFIX + tag


class ConcurrencyLimitCreate(Schema):
    name: LimitName
    limit: LimitValue = Field(description="Slots at once; 0 blocks every request.")
    active: bool = Field(default=True, description="An inactive limit does not block.")
    slot_decay_per_second: Decay = Field(
        default=0.0,
        description="Above 0 the limit is also a rate limit: slots taken by rate_limit "
        "are not given back but free up at this rate.",
    )


class ConcurrencyLimitUpdate(Schema):
    limit: LimitValue | None = None
    active: bool | None = None
    slot_decay_per_second: Decay | None = None


class SlotHolder(Schema):
    """One lease holding slots of a limit."""

    lease_id: UUID
    slots: int
    holder: str
    expires: Timestamp
    decaying: bool = Field(description="Taken by rate_limit: frees itself at expiry.")
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None


class ConcurrencyLimit(Schema):
    id: UUID
    name: str
    limit: int
    active: bool
    slot_decay_per_second: float
    active_slots: int = Field(description="Slots held now.")
    queue_length: int = Field(description="Requests waiting for slots.")
    holders: list[SlotHolder] = Field(default_factory=list)
    created: Timestamp
    updated: Timestamp


class SlotRequest(Schema):
    """Take ``slots`` of every limit in ``names`` (all or nothing), waiting up to
    ``wait_seconds`` in a first-come-first-served queue kept by ``ticket``."""

    names: list[LimitName] = Field(min_length=1, max_length=100)
    slots: int = Field(default=1, ge=1, le=MAX_LIMIT)
    mode: Literal["concurrency", "rate_limit"] = "concurrency"
    lease_duration: float | None = Field(
        default=None, ge=1.0, le=86_400.0, description="None: the store's HEADWATER_LEASE_SECONDS."
    )
    strict: bool = Field(default=False, description="A missing limit is an error.")
    ticket: UUID | None = Field(default=None, description="Keeps one's place when asking again.")
    wait_seconds: float = Field(default=0.0, ge=0.0)
    holder: str = Field(default="", max_length=200)
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    release: list[UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Leases to give back first, in the same transaction (the asker's "
        "earlier slots: one round trip for a release and the next request).",
    )


class SlotGrant(Schema):
    """``lease_id`` is set when the slots were taken; ``limits`` are the active limits
    the request is subject to (none: nothing to wait for, nothing taken)."""

    lease_id: UUID | None = None
    lease_duration: float | None = Field(default=None, description="Renew it within this.")
    limits: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
