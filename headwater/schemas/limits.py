"""Size bounds of what clients may send, and the validated string/number types using them.

One place for every limit, so the API, its OpenAPI document and the HTTP client
agree.  Strings that end up in names may not hold control characters; free text
(messages) may hold anything but NUL, which PostgreSQL cannot store.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from headwater.utilities.storable import text_problem

MAX_NAME_CHARS = 200
MAX_TASK_NAME_CHARS = 300
MAX_KEY_CHARS = 500
MAX_TAG_CHARS = 200
MAX_TAGS = 100
MAX_MESSAGE_CHARS = 100_000
MAX_PARAMETERS_BYTES = 1_000_000
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 1_000_000
MAX_BULK_RECORDS = 5000
MAX_TRANSITIONS = 1000
MAX_IDS = 1000
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Latest timestamp accepted: 3000-01-01 (later ones cannot be shown as dates).
MAX_EPOCH = 32_503_680_000.0

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _storable(value: str) -> str:
    """No NUL, no lone surrogate: text both stores keep (see ``utilities.storable``)."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A flow or run name: 1-200 characters, no control characters.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME_CHARS, pattern=_NO_CONTROL),
    AfterValidator(_not_blank),
    AfterValidator(_storable),
]
Tag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TAG_CHARS, pattern=_NO_CONTROL),
    AfterValidator(_storable),
]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Key = Annotated[str, StringConstraints(max_length=MAX_KEY_CHARS), AfterValidator(_storable)]
#: Add to an ``Annotated[str, ...]``: text both stores keep (no NUL, no lone surrogate).
STORABLE = AfterValidator(_storable)
Message = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS), AfterValidator(_storable)]
#: Seconds since the epoch, between 1970 and 3000.
Epoch = Annotated[float, Field(ge=0.0, le=MAX_EPOCH, allow_inf_nan=False)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
