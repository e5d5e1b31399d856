"""A small JSON Schema validator for flow parameters.

Deployments store the JSON schema pydantic derives from the flow's signature; the
server checks a new run's parameters against it so a bad parameter is a 422 when the
run is created, not a crash later.  Only the keywords pydantic emits are needed
(type, enum, const, anyOf/oneOf/allOf, $ref into $defs, properties, required,
additionalProperties, items, prefixItems, bounds, lengths), so a full validator
(and its dependencies) is not worth importing on the server's request path.
Unknown keywords are ignored: when in doubt a value is accepted, and the flow's own
pydantic validation still runs when the run starts.
"""

from __future__ import annotations

import math
import re
from typing import Any

_TYPES: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}
_MAX_ERRORS = 20


def validate(value: Any, schema: dict[str, Any]) -> list[tuple[list[str | int], str]]:
    """Errors as ``(path, message)``; an empty list when ``value`` fits ``schema``."""
    errors: list[tuple[list[str | int], str]] = []
    _check(value, schema, schema, [], errors)
    return errors[:_MAX_ERRORS]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {}
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **rest}
        seen += 1
    return schema


def _describe(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _check(
    value: Any,
    schema: Any,
    root: dict[str, Any],
    path: list[str | int],
    errors: list[tuple[list[str | int], str]],
) -> None:
    if not isinstance(schema, dict) or len(errors) >= _MAX_ERRORS:
        return
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if (
            isinstance(options, list)
            and options
            and all(_errors_of(value, option, root) for option in options)
        ):
            kinds = [_kind(_resolve(o, root)) for o in options if isinstance(o, dict)]
            errors.append((path, f"{_describe(value)} is not {' or '.join(kinds)}"))
            return
    for option in schema.get("allOf") or ():
        _check(value, option, root, path, errors)
    if "const" in schema and value != schema["const"]:
        errors.append((path, f"must be {schema['const']!r}"))
        return
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"][:10])
        errors.append((path, f"{_describe(value)} is not one of {allowed}"))
        return
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES.get(k, lambda v: True)(value) for k in kinds):
            errors.append((path, f"{_describe(value)} is not {_kind(schema)}"))
            return
    if isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)
    elif isinstance(value, list):
        _check_array(value, schema, root, path, errors)
    elif isinstance(value, dict):
        _check_object(value, schema, root, path, errors)


def _errors_of(value: Any, schema: Any, root: dict[str, Any]) -> list[Any]:
    found: list[tuple[list[str | int], str]] = []
    _check(value, schema, root, [], found)
    return found


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(
            f"{'an' if k in ('integer', 'array', 'object') else 'a'} {k}" for k in kind
        )
    if isinstance(kind, str):
        article = "an" if kind in ("integer", "array", "object") else "a"
        return "null" if kind == "null" else f"{article} {kind}"
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"][:10])
    if "const" in schema:
        return repr(schema["const"])
    return "valid"


def _check_string(value: str, schema: dict[str, Any], path: list[Any], errors: list[Any]) -> None:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        errors.append((path, f"must have at least {low} characters"))
    if isinstance(high, int) and len(value) > high:
        errors.append((path, f"must have at most {high} characters"))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                errors.append((path, f"must match {pattern!r}"))
        except re.error:
            pass


def _check_number(value: float, schema: dict[str, Any], path: list[Any], errors: list[Any]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        errors.append((path, "must be a finite number"))
        return
    bounds = (
        ("minimum", lambda v, b: v >= b, "≥"),
        ("maximum", lambda v, b: v <= b, "≤"),
        ("exclusiveMinimum", lambda v, b: v > b, ">"),
        ("exclusiveMaximum", lambda v, b: v < b, "<"),
    )
    for key, ok, sign in bounds:
        bound = schema.get(key)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool) and not ok(value, bound):
            errors.append((path, f"must be {sign} {bound}"))


def _check_array(
    value: list[Any],
    schema: dict[str, Any],
    root: dict[str, Any],
    path: list[Any],
    errors: list[Any],
) -> None:
    low, high = schema.get("minItems"), schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        errors.append((path, f"must have at least {low} items"))
    if isinstance(high, int) and len(value) > high:
        errors.append((path, f"must have at most {high} items"))
    prefix = schema.get("prefixItems")
    start = 0
    if isinstance(prefix, list):
        for i, (item, item_schema) in enumerate(zip(value, prefix, strict=False)):
            _check(item, item_schema, root, [*path, i], errors)
        start = len(prefix)
    items = schema.get("items")
    if isinstance(items, dict):
        for i in range(start, len(value)):
            _check(value[i], items, root, [*path, i], errors)
            if len(errors) >= _MAX_ERRORS:
                return


def _check_object(
    value: dict[str, Any],
    schema: dict[str, Any],
    root: dict[str, Any],
    path: list[Any],
    errors: list[Any],
) -> None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    for name in schema.get("required") or ():
        if name not in value:
            errors.append(([*path, name], "is required"))
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], root, [*path, name], errors)
        elif extra is False:
            errors.append(([*path, name], "is not a parameter of this flow"))
        elif isinstance(extra, dict):
            _check(item, extra, root, [*path, name], errors)
