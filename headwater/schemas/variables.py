"""Variables: named JSON values shared by flows (``headwater.variables.Variable``)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field

from headwater.schemas.base import Schema, Timestamp
from headwater.utilities.storable import json_problem

MAX_NAME_LENGTH = 255
MAX_VALUE_CHARS = 5_000
_NAME_RE = re.compile(rf"[a-z0-9_-]{{1,{MAX_NAME_LENGTH}}}")


def check_variable_name(value: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise ValueError(
            f"variable names are 1-{MAX_NAME_LENGTH} characters of a-z, 0-9, '_' and '-' "
            f"(got {_short(value)})"
        )
    return value


def check_variable_value(value: Any) -> Any:
    problem = json_problem(value, "the variable's value")
    if problem is not None:
        raise ValueError(problem)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"variable values must be JSON (strings, numbers, lists…): {exc}"
        ) from None
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(
            f"variable values are at most {MAX_VALUE_CHARS:,} characters as JSON "
            f"(this one is {len(text):,})"
        )
    return value


VariableName = Annotated[str, AfterValidator(check_variable_name)]
VariableValue = Annotated[Any, AfterValidator(check_variable_value)]


class VariableCreate(Schema):
    name: VariableName
    value: VariableValue = None
    #: None: a new variable gets no tags, an overwritten one keeps its tags.
    tags: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = None


class VariableRead(Schema):
    id: UUID
    name: str
    value: Any = None
    tags: list[str] = Field(default_factory=list)
    created: Timestamp
    updated: Timestamp


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
