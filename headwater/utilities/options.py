"""Checks for decorator options: each failure is one line naming the option."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from headwater.exceptions import InvalidOptionError, NotAFunctionError, UnknownOptionError


def check_known(options: dict[str, Any], allowed: Iterable[str], where: str) -> None:
    allowed = list(allowed)
    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownOptionError(f"{where} got an unknown option {key!r}{hint}")


def check_callable(fn: Any, where: str) -> None:
    if not callable(fn):
        kind = type(fn).__name__
        if isinstance(fn, str):
            raise NotAFunctionError(
                f"{where} must decorate a function, got the string {fn!r}; "
                f"to set the name write {where}(name={fn!r})"
            )
        raise NotAFunctionError(f"{where} must decorate a function, got {kind} {fn!r}")


def check_name(value: Any, option: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidOptionError(
            f"{where}: {option} must be a non-empty string of at most 200 characters"
        )
    return value


def check_non_negative_int(value: Any, option: str, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidOptionError(f"{where}: {option} must be a whole number >= 0, got {value!r}")
    return value


def check_positive_number(value: Any, option: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidOptionError(f"{where}: {option} must be a number > 0, got {value!r}")
    return float(value)


def check_non_negative_number(value: Any, option: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidOptionError(f"{where}: {option} must be a number >= 0, got {value!r}")
    return float(value)


def check_retry_delay(value: Any, retries: int, where: str) -> float | list[float]:
    """A number, a list of numbers, or a callable ``f(retries) -> list`` (e.g.
    ``exponential_backoff``): returned as a number or a list."""
    if value is None:
        return 0.0
    if callable(value):
        value = value(retries)
    if isinstance(value, (list, tuple)):
        delays = [check_non_negative_number(v, "retry_delay_seconds", where) for v in value]
        if not delays:
            return 0.0
        return [d or 0.0 for d in delays]
    number = check_non_negative_number(value, "retry_delay_seconds", where)
    return number or 0.0


def check_hooks(value: Any, option: str, where: str) -> list[Callable[..., Any]]:
    if value is None:
        return []
    hooks = list(value) if isinstance(value, (list, tuple)) else [value]
    for hook in hooks:
        if not callable(hook):
            raise InvalidOptionError(f"{where}: {option} must be callables, got {hook!r}")
    return hooks


def check_tags(value: Any, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    tags = list(value)
    for tag in tags:
        if not isinstance(tag, str) or not tag or len(tag) > 100:
            raise InvalidOptionError(
                f"{where}: tags must be non-empty strings of at most 100 characters"
            )
    return frozenset(tags)


def check_optional_bool(value: Any, option: str, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidOptionError(f"{where}: {option} must be True or False, got {value!r}")


def add_hook(owner: Any, kind: str, fn: Callable[..., Any], where: str) -> Callable[..., Any]:
    """``@my_flow.on_failure``-style decorators: append ``fn`` to ``owner``'s hooks of
    ``kind`` (kept by ``with_options`` copies) and return it unchanged."""
    check_hooks(fn, kind, where)
    hooks: list[Callable[..., Any]] = getattr(owner, f"{kind}_hooks")
    hooks.append(fn)
    owner._options[kind] = list(hooks)
    return fn
