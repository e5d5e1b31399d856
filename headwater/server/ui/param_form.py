"""A form from a deployment's parameter schema, and the parameters back from the form.

The schema is the one pydantic derives from the flow's signature (see
``headwater.deployments.schema``).  Each parameter becomes one field:

- ``string`` → a text input, ``integer``/``number`` → a number input (with the
  schema's bounds), ``boolean`` → a checkbox (a select when it may also be null);
- ``enum``/``const`` (Literal, Enum classes through ``$ref``) → a select;
- ``Optional[X]`` (``anyOf`` with ``null``) → X's field, where empty means null;
  any other empty field is left out, so the deployment's (or the flow's) default
  applies, or the server says the parameter is required;
- arrays, objects, models, unions and anything unknown → a JSON textarea.

Values are sent as text; ``parse_form`` turns them back into JSON values.  A value
of the wrong type is passed on as it is, so the server's validator
(``deployment_runs.check_parameters``) names the problem exactly as the API would.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PREFIX = "param-"
#: An omitted parameter: the deployment's (or the flow's) default applies.
OMIT: Any = object()
_SCALARS = (str, int, float, bool, type(None))


@dataclass
class ParamField:
    """One parameter's input, as the template draws it."""

    name: str
    label: str
    widget: str  # text | integer | number | checkbox | select | json
    required: bool
    nullable: bool = False
    value: str = ""  # the text in the input (checkbox: "true" when ticked)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (JSON text, label)
    type_label: str = ""
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    has_default: bool = False
    error: str = ""

    @property
    def input_name(self) -> str:
        return PREFIX + self.name


def _resolve(schema: Any, root: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """``schema`` with ``$ref`` (into ``$defs``) and single-item ``allOf`` merged in."""
    if not isinstance(schema, dict) or depth > 20:
        return {}
    if isinstance(schema.get("$ref"), str):
        ref: str = schema["$ref"]
        target: Any = root if ref.startswith("#/") else None
        for part in ref[2:].split("/") if target is not None else ():
            target = target.get(part) if isinstance(target, dict) else None
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _resolve({**(target if isinstance(target, dict) else {}), **rest}, root, depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return {**_resolve(all_of[0], root, depth + 1), **rest}
    return schema


def _is_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "null" or ("const" in schema and schema["const"] is None)


def _shape(schema: dict[str, Any], root: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its ``null`` alternative, and whether null was allowed."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            resolved = [_resolve(o, root) for o in options]
            rest = [o for o in resolved if not _is_null(o)]
            if len(rest) == len(resolved):
                return schema, False
            outer = {k: v for k, v in schema.items() if k not in (key, "title")}
            if len(rest) == 1:
                return {**rest[0], **outer}, True
            return {**outer, key: rest}, True
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        others = [k for k in kind if k != "null"]
        return {**schema, "type": others[0] if len(others) == 1 else others}, True
    return schema, False


def _describe_json(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array":
        items = _resolve(schema.get("items"), root)
        inner = items.get("title") or items.get("type") if items else None
        return f"JSON list of {inner}" if isinstance(inner, str) else "JSON list"
    if kind == "object":
        title = schema.get("title")
        return f"JSON object ({title})" if isinstance(title, str) and title else "JSON object"
    if isinstance(kind, list):
        return "JSON: " + " or ".join(str(k) for k in kind)
    if "anyOf" in schema or "oneOf" in schema:
        return "JSON (several types allowed)"
    return "JSON (any value)"


def _text_of(value: Any, widget: str) -> str:
    """How a default shows in its input."""
    if value is OMIT:
        return ""
    if widget == "checkbox":
        return "true" if value is True else ""
    if widget == "select":
        return json.dumps(value)
    if widget in ("text",) and isinstance(value, str):
        return value
    if widget in ("integer", "number") and isinstance(value, (int, float)):
        return json.dumps(value)
    if value is None:
        return ""
    return json.dumps(value, indent=2)


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else None


def build_field(
    name: str, schema: Any, root: Mapping[str, Any], required: bool, default: Any
) -> ParamField:
    """The field for parameter ``name``; ``default`` is the value it starts with."""
    shaped, nullable = _shape(_resolve(schema, root), root)
    label = str(schema.get("title") or name) if isinstance(schema, dict) else name
    description = str(shaped.get("description") or "")
    kind = shaped.get("type")
    choices_of = shaped.get("enum") if isinstance(shaped.get("enum"), list) else None
    if choices_of is None and "const" in shaped:
        choices_of = [shaped["const"]]
    out = ParamField(name=name, label=label, widget="json", required=required)
    out.nullable, out.description = nullable, description
    if choices_of is not None and all(isinstance(c, _SCALARS) for c in choices_of):
        out.widget, out.type_label = "select", "one of"
        out.choices = [(json.dumps(c), "null" if c is None else str(c)) for c in choices_of]
    elif kind == "string":
        out.widget, out.type_label = "text", "text"
        fmt = shaped.get("format")
        if isinstance(fmt, str):
            out.type_label = f"text ({fmt})"
        low, high = shaped.get("minLength"), shaped.get("maxLength")
        out.min_length = low if isinstance(low, int) else None
        out.max_length = high if isinstance(high, int) else None
    elif kind in ("integer", "number"):
        out.widget, out.type_label = str(kind), "whole number" if kind == "integer" else "number"
        out.minimum = _number(shaped.get("minimum"))
        out.maximum = _number(shaped.get("maximum"))
    elif kind == "boolean":
        out.widget, out.type_label = ("select" if nullable else "checkbox"), "true or false"
        if nullable:
            out.choices = [("true", "true"), ("false", "false")]
    else:
        out.type_label = _describe_json(shaped, root)
    out.value = _text_of(default, out.widget)
    out.has_default = default is not OMIT
    return out


def build_fields(schema: Mapping[str, Any], defaults: Mapping[str, Any]) -> list[ParamField]:
    """One field per parameter of ``schema`` in signature order, starting from the
    deployment's ``defaults`` (else the schema's own default).  A deployment without a
    schema gets a JSON field per default it has."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return [build_field(name, {}, {}, False, value) for name, value in defaults.items()]
    required = set(schema.get("required") or ())
    ordered = sorted(
        properties.items(),
        key=lambda item: item[1].get("position", 0) if isinstance(item[1], dict) else 0,
    )
    fields = []
    for name, prop in ordered:
        if name in defaults:
            default = defaults[name]
        elif isinstance(prop, dict) and "default" in prop:
            default = prop["default"]
        else:
            default = OMIT
        fields.append(build_field(name, prop, schema, name in required, default))
    return fields


def _parse_one(item: ParamField, raw: str) -> tuple[Any, str]:
    """``(value, error)`` for one field's text; ``OMIT`` leaves the default."""
    if item.widget == "checkbox":
        return raw == "true", ""
    text = raw if item.widget == "text" else raw.strip()
    if text == "":
        return (None if item.nullable else OMIT), ""
    if item.widget == "text":
        return text, ""
    if item.widget in ("integer", "number"):
        try:
            number = float(text)
        except ValueError:
            return text, ""  # the validator names it: "'abc' is not an integer"
        if not math.isfinite(number):
            return text, ""
        return (int(number) if number.is_integer() and "." not in text else number), ""
    try:
        return json.loads(text), ""
    except ValueError as exc:
        if item.widget == "select":
            return text, ""
        return OMIT, f"is not valid JSON: {exc}"


def parse_form(
    fields: list[ParamField], form: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters the form gives, and the fields whose text could not be read.

    Every field's ``value`` becomes the submitted text, so the form shows again as
    the user left it."""
    parameters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in fields:
        raw = form.get(item.input_name, "")
        raw = raw if isinstance(raw, str) else ""
        item.value = "true" if item.widget == "checkbox" and raw == "true" else raw
        value, error = _parse_one(item, raw)
        if error:
            errors[item.name] = error
        elif value is not OMIT:
            parameters[item.name] = value
    return parameters, errors


def field_errors(errors: list[dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """``ParameterValidationError.errors`` → messages by parameter, and the others.

    ``loc`` is ``["body", "parameters", NAME, ...deeper]``; a deeper path is shown in
    front of the message (``[0]['x']: is not an integer``)."""
    by_name: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        loc = list(error.get("loc") or [])
        message = str(error.get("msg") or "is not valid")
        path = loc[2:] if loc[:2] == ["body", "parameters"] else loc
        if not path:
            general.append(f"parameters: {message}")
            continue
        name, deeper = str(path[0]), path[1:]
        if deeper:
            message = "".join(f"[{p!r}]" for p in deeper) + ": " + message
        by_name[name] = f"{by_name[name]}; {message}" if name in by_name else message
    return by_name, general
