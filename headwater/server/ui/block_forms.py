"""Block forms: the fields of a block type's JSON schema as form inputs, and the
values posted back checked and turned into a document's ``data`` and ``references``.

The store keeps block data as given (it does not check it against the schema), so
the checks are here: each field's type, bounds, enum choices and required-ness, and
for JSON fields a small JSON-schema walk (``check_json``) over the basic keywords.

Secrets never travel to the browser: their inputs are always empty; an empty secret
input on an edit means "keep the stored value", which is sent to the store as the
mask (``encrypt_paths`` keeps the encrypted value it replaces).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.core.encryption import SECRET_MASK

if TYPE_CHECKING:
    from headwater.schemas.blocks import BlockDocument, BlockDocumentRef

_MISSING = object()
_TYPES: dict[str, Any] = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


@dataclass
class FormField:
    """One input of a block form."""

    name: str
    label: str
    kind: str  # text, datetime, integer, number, boolean, enum, secret, json, reference
    required: bool
    nullable: bool
    description: str = ""
    default: Any = _MISSING
    choices: list[Any] = field(default_factory=list)
    ref_slugs: list[str] = field(default_factory=list)
    #: The field's schema options without ``null`` (what a value must match one of).
    options: list[dict[str, Any]] = field(default_factory=list)
    defs: dict[str, Any] = field(default_factory=dict)
    #: A secret that is a JSON object (SecretDict), not a string.
    secret_json: bool = False

    @property
    def input_name(self) -> str:
        return f"f_{self.name}"

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    @property
    def hint(self) -> str:
        extra = {
            "json": "JSON.",
            "datetime": "ISO 8601, e.g. 2026-01-31T09:30:00+00:00.",
        }.get(self.kind, "")
        if self.kind == "secret" and self.secret_json:
            extra = "A JSON object, kept secret."
        parts = [p for p in (self.description, extra) if p]
        if self.has_default and self.default is not None and self.kind != "boolean":
            parts.append(f"Default: {json.dumps(self.default)}.")
        return " ".join(parts)


def _resolve(schema: Any, defs: Mapping[str, Any]) -> dict[str, Any]:
    for _ in range(20):  # a chain of $refs, not a cycle
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            break
        schema = {
            **defs.get(ref.split("/")[-1], {}),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
    return schema if isinstance(schema, dict) else {}


def _options(schema: dict[str, Any], defs: Mapping[str, Any]) -> list[dict[str, Any]]:
    union = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(union, list):
        return [_resolve(option, defs) for option in union]
    return [schema]


def form_fields(schema: Mapping[str, Any], secret_fields: list[str]) -> list[FormField]:
    """The inputs for a block type's schema (``block_schemas.fields``), in its order."""
    defs = schema.get("$defs", {}) or {}
    required = set(schema.get("required", []) or [])
    references = schema.get("block_schema_references", {}) or {}
    secret_roots = {path.split(".")[0] for path in secret_fields if "." not in path}
    out: list[FormField] = []
    for name, raw in (schema.get("properties", {}) or {}).items():
        prop = _resolve(raw, defs)
        options = _options(prop, defs)
        concrete = [o for o in options if o.get("type") != "null"]
        nullable = len(concrete) < len(options)
        item = FormField(
            name=name,
            label=str(prop.get("title") or name.replace("_", " ").capitalize()),
            kind="json",
            required=name in required,
            nullable=nullable,
            description=str(prop.get("description") or ""),
            default=prop.get("default", _MISSING),
            options=concrete,
            defs=dict(defs),
        )
        if name in secret_roots or any(o.get("format") == "password" for o in concrete):
            item.kind = "secret"
            item.secret_json = not any(o.get("type") == "string" for o in concrete)
        elif name in references:
            item.kind = "reference"
            item.ref_slugs = [str(s) for s in references[name]]
        elif len(concrete) == 1:
            only = concrete[0]
            if isinstance(only.get("enum"), list):
                item.kind, item.choices = "enum", list(only["enum"])
            elif only.get("type") == "string":
                item.kind = "datetime" if only.get("format") == "date-time" else "text"
            elif only.get("type") in ("integer", "number", "boolean"):
                item.kind = str(only["type"])
        out.append(item)
    return out


# -- checking JSON values against (basic) JSON schema -------------------------------------
def check_json(value: Any, schema: Any, defs: Mapping[str, Any], where: str = "") -> str | None:
    """Why ``value`` does not fit ``schema`` (basic keywords only), or None."""
    schema = _resolve(schema, defs)
    at = f" at {where}" if where else ""
    union = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(union, list):
        problems = [check_json(value, option, defs, where) for option in union]
        if all(problems):
            return problems[0] if len(union) == 1 else f"no allowed form matches{at}: {problems[0]}"
    if "const" in schema and value != schema["const"]:
        return f"must be {json.dumps(schema['const'])}{at}"
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return f"must be one of {', '.join(json.dumps(c) for c in schema['enum'])}{at}"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_is_type(value, kind) for kind in kinds):
            return f"must be {' or '.join(_article(k) for k in kinds)}{at}"
    problem = _check_bounds(value, schema)
    if problem:
        return problem + at
    if isinstance(value, dict):
        props = schema.get("properties", {}) or {}
        for name in schema.get("required", []) or []:
            if name not in value:
                return f"{name!r} is required{at}"
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            if key in props:
                problem = check_json(item, props[key], defs, path)
            elif extra is False:
                problem = f"{key!r} is not allowed{at}"
            elif isinstance(extra, dict):
                problem = check_json(item, extra, defs, path)
            else:
                problem = None
            if problem:
                return problem
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problem = check_json(item, schema["items"], defs, f"{where}[{index}]")
            if problem:
                return problem
    return None


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = _TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _article(kind: str) -> str:
    return {"integer": "an integer", "object": "an object", "array": "an array"}.get(
        kind, "null" if kind == "null" else f"a {kind}"
    )


def _check_bounds(value: Any, schema: Mapping[str, Any]) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"must be at least {schema['minimum']}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return f"must be more than {schema['exclusiveMinimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"must be at most {schema['maximum']}"
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return f"must be less than {schema['exclusiveMaximum']}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"must be at least {schema['minLength']} characters"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"must be at most {schema['maxLength']} characters"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, value):
            return f"must match {pattern}"
    if isinstance(value, (list, dict)):
        if len(value) < schema.get("minItems", schema.get("minProperties", 0)):
            return "has too few items"
        limit = schema.get("maxItems", schema.get("maxProperties"))
        if limit is not None and len(value) > limit:
            return "has too many items"
    return None


# -- reading a posted form ------------------------------------------------------------------
@dataclass
class ParsedForm:
    data: dict[str, Any] = field(default_factory=dict)
    references: dict[str, BlockDocumentRef] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _convert(item: FormField, raw: str) -> Any:
    """The typed value of a non-empty input; ValueError says what is wrong with it."""
    if item.kind == "integer":
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"{raw.strip()[:40]!r} is not a whole number") from None
    if item.kind == "number":
        try:
            number = float(raw.strip())
        except ValueError:
            raise ValueError(f"{raw.strip()[:40]!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return int(number) if number.is_integer() and "." not in raw else number
    if item.kind == "datetime":
        try:
            dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(f"{raw.strip()[:40]!r} is not an ISO 8601 date and time") from None
        return raw.strip()
    if item.kind == "enum":
        for choice in item.choices:
            if raw == str(choice):
                return choice
        raise ValueError(f"choose one of {', '.join(str(c) for c in item.choices)}")
    if item.kind == "json" or (item.kind == "secret" and item.secret_json):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
    return raw


def parse_form(
    fields: list[FormField],
    form: Mapping[str, str],
    *,
    current: BlockDocument | None = None,
    reference_ids: Mapping[str, set[str]] | None = None,
) -> ParsedForm:
    """The document values a posted form stands for, or the errors by field name.

    ``current`` is the saved document when editing (an empty secret keeps its value);
    ``reference_ids`` the document ids each reference field may point at.
    """
    from headwater.schemas.blocks import BlockDocumentRef

    out = ParsedForm()
    for item in fields:
        raw = form.get(item.input_name, "")
        if item.kind == "boolean":
            out.data[item.name] = raw == "on"
            continue
        if item.kind == "secret" and not raw:
            stored = current.data.get(item.name) if current is not None else None
            if form.get(f"clear_{item.name}") == "on" and not item.required:
                out.data[item.name] = None
                continue
            if stored == SECRET_MASK:
                out.data[item.name] = SECRET_MASK  # the store keeps the encrypted value
                continue
        if not raw.strip():
            _missing(item, out)
            continue
        if item.kind == "reference":
            allowed = (reference_ids or {}).get(item.name, set())
            if raw not in allowed:
                out.errors[item.name] = "choose one of the listed blocks"
            else:
                out.references[item.name] = BlockDocumentRef(block_document_id=UUID(raw))
            continue
        try:
            value = _convert(item, raw)
        except ValueError as exc:
            out.errors[item.name] = str(exc)
            continue
        problem = _check_options(value, item)
        if problem:
            out.errors[item.name] = problem
            continue
        out.data[item.name] = value
    return out


def _check_options(value: Any, item: FormField) -> str | None:
    if item.kind in ("enum", "datetime") or not item.options:
        return None
    if item.kind == "secret" and not item.secret_json:
        options = [o for o in item.options if o.get("type") == "string"] or item.options
    else:
        options = item.options
    return check_json(value, {"anyOf": options}, item.defs)


def _missing(item: FormField, out: ParsedForm) -> None:
    if item.required:
        out.errors[item.name] = "this field is required"
    elif item.has_default:
        if item.kind != "reference":
            out.data[item.name] = item.default
    elif item.nullable and item.kind != "reference":
        out.data[item.name] = None


def initial_values(fields: list[FormField], document: BlockDocument | None) -> dict[str, str]:
    """What each (non-secret) input shows: the saved value, else the default."""
    values: dict[str, str] = {}
    for item in fields:
        if item.kind == "secret":
            continue  # never sent to the browser
        if document is not None and item.kind == "reference":
            child = document.references.get(item.name)
            values[item.input_name] = str(child.id) if child is not None else ""
            continue
        if document is not None and item.name in document.data:
            value = document.data[item.name]
        elif item.has_default:
            value = item.default
        else:
            value = None
        values[item.input_name] = _as_text(item, value)
    return values


def _as_text(item: FormField, value: Any) -> str:
    if value is None:
        return ""
    if item.kind == "boolean":
        return "on" if value else ""
    if item.kind == "json":
        return json.dumps(value, indent=2)
    return str(value)
