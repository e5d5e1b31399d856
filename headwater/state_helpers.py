"""Helpers over states, under Prefect's names (re-exported by ``headwater.states``):
exceptions from states and a summary of a group of states.  They use only what a
state offers, so this module imports nothing of ``headwater.states``."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.states import State


def get_state_exception(state: State) -> BaseException:
    """The exception a Failed, Crashed or Cancelled state stands for (its own, or
    ``FailedRun``/``CrashedRun``/``CancelledRun`` with its message); ``ValueError``
    for any other state."""
    if not (state.is_failed() or state.is_crashed() or state.is_cancelled()):
        raise ValueError(f"expected a failed, crashed or cancelled state, got {state!r}")
    return state._exception()


def raise_state_exception(state: State) -> None:
    """Raise the exception of a Failed, Crashed or Cancelled state; otherwise nothing."""
    if state.is_failed() or state.is_crashed() or state.is_cancelled():
        raise get_state_exception(state)


async def aget_state_exception(state: State) -> BaseException:
    return get_state_exception(state)


async def araise_state_exception(state: State) -> None:
    raise_state_exception(state)


def get_state_result(state: State, raise_on_failure: bool = True, **_: Any) -> Any:
    """``state.result(raise_on_failure)``."""
    return state.result(raise_on_failure=raise_on_failure)


def format_exception(exc: BaseException, tb: Any = None) -> str:
    """The exception with its traceback, as text."""
    lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
    return "".join(lines)


class StateGroup:
    """Counts over a group of states (what an aggregate final state is decided by)."""

    def __init__(self, states: Iterable[State]) -> None:
        self.states = list(states)
        self.total = len(self.states)
        self.type_counts = Counter(state.type.value for state in self.states)
        self.name_counts = Counter(state.name for state in self.states)

    def _count(self, *names: str) -> int:
        return sum(self.type_counts[name] for name in names)

    @property
    def fail_count(self) -> int:
        return self._count("FAILED", "CRASHED")

    @property
    def cancelled_count(self) -> int:
        return self._count("CANCELLED")

    @property
    def paused_count(self) -> int:
        return self._count("PAUSED")

    @property
    def not_final_count(self) -> int:
        return sum(1 for state in self.states if not state.is_final())

    def all_completed(self) -> bool:
        return self._count("COMPLETED") == self.total

    def any_cancelled(self) -> bool:
        return self.cancelled_count > 0

    def any_paused(self) -> bool:
        return self.paused_count > 0

    def any_failed(self) -> bool:
        return self.fail_count > 0

    def all_final(self) -> bool:
        return self.not_final_count == 0

    def counts_message(self) -> str:
        return ", ".join(f"{name!r}: {count}" for name, count in sorted(self.name_counts.items()))

    def __repr__(self) -> str:
        return f"StateGroup({self.counts_message()})"


__all__ = [
    "StateGroup",
    "aget_state_exception",
    "araise_state_exception",
    "format_exception",
    "get_state_exception",
    "get_state_result",
    "raise_state_exception",
]
