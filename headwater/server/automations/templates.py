"""Action messages and parameters are Jinja templates, rendered in a sandbox over the
triggering event, the automation and (when the event is about one) its flow run,
flow and deployment."""

from __future__ import annotations

import functools
import json
from typing import Any

from jinja2.sandbox import SandboxedEnvironment


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=False)


class TemplateError(ValueError):
    pass


@functools.lru_cache(maxsize=512)
def _compiled(template: str) -> Any:
    """A template compiled once (compiling costs milliseconds; rendering microseconds)."""
    return _environment().from_string(template)


def render(template: str, context: dict[str, Any]) -> str:
    """``template`` rendered over ``context``; ``TemplateError`` names what failed."""
    if "{" not in template:
        return template
    try:
        return _compiled(template).render(**context)
    except Exception as exc:  # a syntax error, a sandbox refusal, a bad filter
        raise TemplateError(f"cannot render template: {exc}") from None


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Strings rendered; dicts and lists rendered inside; anything else as is.  A string
    that is one ``{{ expression }}`` gives the value it renders to when that is JSON
    (``"{{ event.payload.n }}"`` → ``7``, not ``"7"``)."""
    if isinstance(value, str):
        text = render(value, context)
        stripped = value.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
            try:
                return json.loads(text)
            except ValueError:
                return text
        return text
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    return value
