"""Automations: a trigger over the event stream and the actions it starts (Prefect 3's
names and shapes: ``EventTrigger``, ``RunDeployment``, ``SendNotification``, ...)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import Offset
from headwater.states import StateType

_PREFIX = "headwater."
_ALIAS = "prefect."


class Posture:
    """Prefect's ``Posture.Reactive`` / ``Posture.Proactive`` (plain strings here)."""

    Reactive = "Reactive"
    Proactive = "Proactive"


def _norm(value: str) -> str:
    return _PREFIX + value[len(_ALIAS) :] if value.startswith(_ALIAS) else value


def _seconds(value: Any) -> Any:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0, le=366 * 86400)]
#: A resource's labels to match: a value, or a list of values; ``*`` ends a prefix.
ResourceSpecification = dict[str, str | list[str]]


def _norm_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        _norm(k): [_norm(x) for x in v] if isinstance(v, list) else _norm(v)
        for k, v in spec.items()
    }


class EventTrigger(Schema):
    """Fires when ``threshold`` events named in ``expect`` about resources matching
    ``match``/``match_related`` arrive within ``within`` seconds (Reactive), or when
    fewer than ``threshold`` arrive within ``within`` seconds of an ``after`` event (or
    of the trigger's start) (Proactive).  ``for_each`` labels count resources apart."""

    type: Literal["event"] = "event"
    match: ResourceSpecification = Field(default_factory=dict)
    match_related: ResourceSpecification | list[ResourceSpecification] = Field(default_factory=dict)
    after: set[str] = Field(default_factory=set)
    expect: set[str] = Field(default_factory=set)
    for_each: set[str] = Field(default_factory=set)
    posture: Literal["Reactive", "Proactive"] = "Reactive"
    threshold: int = Field(default=1, ge=1, le=100_000)
    within: Seconds = 0.0

    @field_validator("after", "expect", "for_each")
    @classmethod
    def _names(cls, value: set[str]) -> set[str]:
        return {_norm(v) for v in value}

    @field_validator("match")
    @classmethod
    def _match(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _norm_spec(value)

    @field_validator("match_related")
    @classmethod
    def _match_related(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_norm_spec(v) for v in value]
        return _norm_spec(value)

    @model_validator(mode="after")
    def _proactive_needs_within(self) -> EventTrigger:
        if self.posture == "Proactive" and self.within <= 0:
            raise ValueError("a Proactive trigger needs within= (how long to wait), e.g. 60")
        return self


def trigger_type(value: Any) -> str:
    """A trigger's ``type``; a mapping without one is an ``event`` trigger (as Prefect)."""
    if isinstance(value, dict):
        return str(value.get("type", "event"))
    return str(getattr(value, "type", "event"))


class CompoundTrigger(Schema):
    """Fires when ``require`` of its ``triggers`` (``"any"``, ``"all"`` or a number)
    have fired within ``within`` seconds of each other (0: no time limit)."""

    type: Literal["compound"] = "compound"
    triggers: list[Trigger] = Field(min_length=1, max_length=50)
    require: int | Literal["any", "all"] = "all"
    within: Seconds = 0.0

    @model_validator(mode="after")
    def _require_fits(self) -> CompoundTrigger:
        if isinstance(self.require, int) and not 1 <= self.require <= len(self.triggers):
            raise ValueError(
                f"require must be 'any', 'all' or a number from 1 to {len(self.triggers)} "
                f"(the number of triggers), got {self.require}"
            )
        return self

    def required(self) -> int:
        if self.require == "any":
            return 1
        if self.require == "all":
            return len(self.triggers)
        return self.require


class SequenceTrigger(Schema):
    """Fires when its ``triggers`` have fired in the order given, the last within
    ``within`` seconds of the first (0: no time limit)."""

    type: Literal["sequence"] = "sequence"
    triggers: list[Trigger] = Field(min_length=1, max_length=50)
    within: Seconds = 0.0


Trigger = Annotated[
    Annotated[EventTrigger, Tag("event")]
    | Annotated[CompoundTrigger, Tag("compound")]
    | Annotated[SequenceTrigger, Tag("sequence")],
    Discriminator(trigger_type),
]
CompoundTrigger.model_rebuild()
SequenceTrigger.model_rebuild()


# -- actions ---------------------------------------------------------------------------
Source = Literal["selected", "inferred"]


class DoNothing(Schema):
    type: Literal["do-nothing"] = "do-nothing"


class RunDeployment(Schema):
    """Run a deployment (``inferred``: the one the triggering event is about);
    ``parameters`` values may be Jinja templates over the event."""

    type: Literal["run-deployment"] = "run-deployment"
    source: Source = "selected"
    deployment_id: UUID | None = None
    parameters: dict[str, Any] | None = None


class PauseDeployment(Schema):
    type: Literal["pause-deployment"] = "pause-deployment"
    source: Source = "selected"
    deployment_id: UUID | None = None


class ResumeDeployment(Schema):
    type: Literal["resume-deployment"] = "resume-deployment"
    source: Source = "selected"
    deployment_id: UUID | None = None


class CancelFlowRun(Schema):
    """Cancel the flow run the triggering event is about."""

    type: Literal["cancel-flow-run"] = "cancel-flow-run"


class SuspendFlowRun(Schema):
    """Suspend the flow run the triggering event is about (``inferred``) or
    ``flow_run_id`` (``selected``): Suspended until resumed, a worker then runs it
    again; not resumed within ``timeout_seconds``, it fails."""

    type: Literal["suspend-flow-run"] = "suspend-flow-run"
    source: Source = "inferred"
    flow_run_id: UUID | None = None
    timeout_seconds: Seconds = 3600.0


class ChangeFlowRunState(Schema):
    """Put the flow run the triggering event is about in a state (forced)."""

    type: Literal["change-flow-run-state"] = "change-flow-run-state"
    name: str | None = None
    state: StateType
    message: str | None = None


class PauseWorkPool(Schema):
    type: Literal["pause-work-pool"] = "pause-work-pool"
    source: Source = "selected"
    work_pool_id: UUID | None = None


class ResumeWorkPool(Schema):
    type: Literal["resume-work-pool"] = "resume-work-pool"
    source: Source = "selected"
    work_pool_id: UUID | None = None


class PauseWorkQueue(Schema):
    type: Literal["pause-work-queue"] = "pause-work-queue"
    source: Source = "selected"
    work_queue_id: UUID | None = None


class ResumeWorkQueue(Schema):
    type: Literal["resume-work-queue"] = "resume-work-queue"
    source: Source = "selected"
    work_queue_id: UUID | None = None


class PauseAutomation(Schema):
    """Disable an automation (``inferred``: this one)."""

    type: Literal["pause-automation"] = "pause-automation"
    source: Source = "selected"
    automation_id: UUID | None = None


class ResumeAutomation(Schema):
    type: Literal["resume-automation"] = "resume-automation"
    source: Source = "selected"
    automation_id: UUID | None = None


DEFAULT_BODY = (
    "Automation {{ automation.name }} triggered on {{ event.event }} "
    "about {{ event.resource['headwater.resource.name'] or event.resource_id }}."
)


class SendNotification(Schema):
    """Send ``body`` (a Jinja template) to a notification block (Webhook,
    SlackWebhook, ...) by its document id."""

    type: Literal["send-notification"] = "send-notification"
    block_document_id: UUID
    subject: str = Field(default="Headwater: {{ automation.name }}", max_length=2000)
    body: str = Field(default=DEFAULT_BODY, max_length=20_000)


class CallWebhook(Schema):
    """Call a Webhook block with ``payload`` (a Jinja template; JSON when it renders
    to JSON, else sent as text)."""

    type: Literal["call-webhook"] = "call-webhook"
    block_document_id: UUID
    payload: str = Field(default="", max_length=20_000)


Action = Annotated[
    DoNothing
    | RunDeployment
    | PauseDeployment
    | ResumeDeployment
    | CancelFlowRun
    | SuspendFlowRun
    | ChangeFlowRunState
    | PauseWorkPool
    | ResumeWorkPool
    | PauseWorkQueue
    | ResumeWorkQueue
    | PauseAutomation
    | ResumeAutomation
    | SendNotification
    | CallWebhook,
    Field(discriminator="type"),
]

TriggerTypes = Trigger


class AutomationCore(Schema):
    """What an automation is (``POST /api/automations``, ``PUT /api/automations/{id}``)."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    enabled: bool = True
    trigger: Trigger
    actions: list[Action] = Field(default_factory=list, max_length=50)
    actions_on_trigger: list[Action] = Field(default_factory=list, max_length=50)
    actions_on_resolve: list[Action] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=50)


class AutomationRead(AutomationCore):
    id: UUID
    created: Timestamp
    updated: Timestamp


class AutomationPatch(Schema):
    enabled: bool


class AutomationFilter(Schema):
    name: str | None = None
    limit: int = Field(default=200, ge=1, le=10_000)
    offset: Offset = 0
