"""Incoming webhooks: ``POST /api/hooks/{slug}`` turns a request into an event by
rendering the webhook's template (sandboxed Jinja over ``body``, ``headers``,
``query``, ``method`` and ``url``) to the event's JSON."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, field_validator

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import STORABLE, Name


def check_template(template: str) -> str:
    """The template, if Jinja can compile it (``ValueError`` naming the problem)."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    try:
        SandboxedEnvironment().parse(template)
    except TemplateSyntaxError as exc:
        raise ValueError(
            f"the template is not valid Jinja: {exc.message} (line {exc.lineno})"
        ) from None
    return template


Template = Annotated[str, Field(min_length=2, max_length=100_000), STORABLE]
Description = Annotated[str, Field(max_length=10_000), STORABLE]


class WebhookCreate(Schema):
    name: Name
    description: Description = ""
    template: Template = Field(
        description='Jinja that renders to an event\'s JSON, e.g. {"event": "shop.paid", '
        '"resource": {"headwater.resource.id": "shop.order.{{ body.id }}"}}'
    )
    enabled: bool = True

    _template = field_validator("template")(check_template)


class WebhookUpdate(Schema):
    """Change some fields; unset fields stay as they are."""

    name: Name | None = None
    description: Description | None = None
    template: Template | None = None
    enabled: bool | None = None

    @field_validator("template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else check_template(value)


class Webhook(Schema):
    id: UUID
    name: str
    description: str
    template: str
    enabled: bool
    slug: str = Field(description="The unguessable part of the hook's URL: /api/hooks/{slug}.")
    created: Timestamp
    updated: Timestamp
