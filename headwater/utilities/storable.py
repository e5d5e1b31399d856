"""What every store can keep: the one rule SQLite and PostgreSQL are held to alike.

PostgreSQL refuses NUL in text, lone surrogates (``"\\ud800"``: no UTF-8 form) and
NaN/Infinity in JSON; SQLite would store them, and reading them back later fails (a
listing that answers 500 for good).  So the API and both clients refuse such values
at the edge with the same message, naming where the value is.
"""

from __future__ import annotations

import math
from typing import Any


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate ({text[exc.start]!r}), which is not valid text"
    return None


def json_problem(value: Any, where: str) -> str | None:
    """``"where.key[2]: why"`` for the first value in a JSON document that cannot be
    stored (bad text in a key or string, NaN or Infinity), or None."""
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack:  # iterative: a deeply nested document must not exhaust the stack
        path, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"{path} {problem}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{path} is {item!r}; NaN and Infinity cannot be stored as JSON"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key)
                problem = text_problem(name)
                if problem:
                    return f"{path}: the key {name!r} {problem}"
                stack.append((f"{path}.{name}", child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def storable_text(text: str) -> str:
    """``text`` with what cannot be stored replaced: NUL by U+FFFD, a lone surrogate
    by its escape (``\\ud800``)."""
    if text_problem(text) is None:
        return text
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
