"""Base job templates (Prefect's model): a pool's ``job_configuration`` holds
``{{ name }}`` placeholders, its ``variables`` JSON schema names and defaults them,
and a deployment's ``job_variables`` override the defaults.  ``job_for`` gives the
configuration a worker type turns into infrastructure."""

from __future__ import annotations

import copy
import re
from typing import Any

from headwater.exceptions import UserInputError

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def template_variables(template: dict[str, Any]) -> dict[str, Any]:
    """``variables.properties`` of a template (name → JSON schema of one variable)."""
    properties = template.get("variables", {}).get("properties", {})
    return properties if isinstance(properties, dict) else {}


def unknown_variables(template: dict[str, Any], job_variables: dict[str, Any]) -> list[str]:
    """Job variables the template has no placeholder variable for (they are ignored, as
    Prefect ignores them; the worker logs them)."""
    return sorted(set(job_variables) - set(template_variables(template)))


def resolve_variables(template: dict[str, Any], job_variables: dict[str, Any]) -> dict[str, Any]:
    """The template's defaults overridden by ``job_variables`` (those it declares);
    ``UserInputError`` names a value of the wrong JSON type."""
    properties = template_variables(template)
    values = {
        name: copy.deepcopy(schema.get("default"))
        for name, schema in properties.items()
        if isinstance(schema, dict)
    }
    for name, value in job_variables.items():
        if name not in properties:
            continue
        _check_type(name, value, properties[name])
        values[name] = value
    return values


def _check_type(name: str, value: Any, schema: Any) -> None:
    from headwater.schemas.work_pools import job_variable_type_error

    problem = job_variable_type_error(value, schema)
    if problem:
        raise UserInputError(f"job variable {name!r} {problem}")


def render(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with its placeholders filled: a string that is one placeholder becomes
    the variable's value (any JSON type, ``None`` when unset); a placeholder inside a
    longer string becomes the value's text."""
    if isinstance(value, dict):
        return {key: render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value.strip())
    if whole:
        return copy.deepcopy(variables.get(whole.group(1)))

    def text(match: re.Match[str]) -> str:
        found = variables.get(match.group(1))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(text, value)


def job_for(template: dict[str, Any], job_variables: dict[str, Any]) -> dict[str, Any]:
    """The job configuration of one run: the template's ``job_configuration`` with the
    resolved variables filled in."""
    variables = resolve_variables(template, job_variables)
    rendered = render(template.get("job_configuration", {}), variables)
    return rendered if isinstance(rendered, dict) else {}
