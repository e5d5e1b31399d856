"""Wrappers that change how a task treats one of its arguments."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class BaseAnnotation(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(BaseAnnotation[T]):
    """Pass this argument whole to every mapped task run instead of iterating it."""


class allow_failure(BaseAnnotation[T]):
    """Run the downstream task even if this upstream failed; it receives the
    upstream's exception in place of its result."""


class quote(BaseAnnotation[T]):
    """Pass this argument as is: do not look inside it for futures."""


class opaque(BaseAnnotation[T]):
    """Resolve this argument if it is a future or a state, but do not look inside
    the value for more futures (cheap for large results)."""


#: Prefect's older spelling.
Quote = quote
