"""Turn a pydantic ``ValidationError`` into one readable line."""

from __future__ import annotations

from typing import Any


def describe_errors(exc: Any, *, limit: int = 3) -> str:
    """``field: problem; other: problem`` for the first few errors of ``exc``."""
    parts = []
    for error in exc.errors()[:limit]:
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        parts.append(f"{loc}: {message}" if loc else message)
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
