"""The JSON schema of a flow's parameters, derived from its signature with pydantic.

Stored with a deployment and checked by the server when a run is created, so a
wrong parameter is refused (422, naming it) before any worker picks the run up.
"""

from __future__ import annotations

import inspect
import json
import typing
import warnings
from typing import Any

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def parameter_schema(flow: Any) -> dict[str, Any]:
    """``{"type": "object", "properties": ..., "required": ..., "$defs": ...}``."""
    from pydantic import TypeAdapter

    signature = flow.binder.signature
    try:
        hints = typing.get_type_hints(flow.fn, include_extras=True)
    except Exception:
        hints = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    defs: dict[str, Any] = {}
    open_ended = False
    for position, param in enumerate(signature.parameters.values()):
        if param.kind in _VARIADIC:
            open_ended = open_ended or param.kind is inspect.Parameter.VAR_KEYWORD
            continue
        hint = hints.get(param.name, Any)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                schema = TypeAdapter(hint).json_schema(ref_template="#/$defs/{model}")
        except Exception:  # a type pydantic cannot describe: any value
            schema = {}
        defs.update(schema.pop("$defs", {}))
        schema.setdefault("title", param.name)
        schema["position"] = position
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
        else:
            default = _jsonable(param.default)
            if default is not _NOT_JSON:
                schema["default"] = default
        properties[param.name] = schema
    out: dict[str, Any] = {
        "title": "Parameters",
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if not open_ended:
        out["additionalProperties"] = False
    if defs:
        out["$defs"] = defs
    return out


_NOT_JSON = object()


def _jsonable(value: Any) -> Any:
    from headwater.utilities.jsonable import to_jsonable

    lossy: list[Any] = []
    try:
        converted = to_jsonable(value, lossy=lossy)
        json.dumps(converted, allow_nan=False)
    except (TypeError, ValueError):
        return _NOT_JSON
    return _NOT_JSON if lossy else converted
