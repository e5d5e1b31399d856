"""Helpers over states, under Prefect's names (re-exported by ``headwater.states``):
exceptions from states, states from exceptions and return values, and a summary of a
group of states."""

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


async def exception_to_crashed_state(exc: BaseException, result_store: Any = None) -> State:
    """A Crashed state for something that interrupted a run from outside its code
    (awaitable, as Prefect's)."""
    from headwater.states import Crashed, exception_message

    if isinstance(exc, KeyboardInterrupt):
        message = "Execution was aborted by an interrupt signal."
    elif isinstance(exc, SystemExit):
        message = "Execution was aborted by Python system exit call."
    else:
        message = f"Execution was interrupted by an unexpected exception: {exception_message(exc)}"
    return Crashed(exc, message)


async def exception_to_failed_state(
    exc: BaseException | None = None, message: str | None = None, **kwargs: Any
) -> State:
    """A Failed state holding ``exc`` (the one being handled when omitted); awaitable,
    as Prefect's."""
    import sys

    from headwater.states import Failed, exception_message

    kwargs.pop("result_store", None)
    kwargs.pop("write_result", None)
    if exc is None:
        exc = sys.exc_info()[1]
        if exc is None:
            raise ValueError("no exception given and none is being handled")
    return Failed(exc, message or exception_message(exc), **kwargs)


def return_value_to_state(value: Any, **_: Any) -> State:
    """The state a run ends in when its function returned ``value`` (futures already
    replaced by their states): a State as is; a non-empty list, tuple or set made
    only of States decides by them (all Completed → Completed; any Cancelled →
    Cancelled; any Paused → Paused; otherwise Failed) and keeps the collection as
    its value; anything else is Completed with ``value``."""
    from headwater.states import Completed, State, StateType, is_state_iterable

    if isinstance(value, State):
        return value
    if not is_state_iterable(value):
        return Completed(value)
    group = StateGroup(value)
    if group.all_completed():
        return Completed(value, "All states completed.")
    if group.any_cancelled():
        kind, message = (
            StateType.CANCELLED,
            f"{group.cancelled_count}/{group.total} states cancelled.",
        )
    elif group.any_paused():
        kind, message = StateType.PAUSED, f"{group.paused_count}/{group.total} states paused."
    else:
        kind = StateType.FAILED
        if group.any_failed():
            message = f"{group.fail_count}/{group.total} states failed."
        elif not group.all_final():
            message = f"{group.not_final_count}/{group.total} states are not final."
        else:
            message = f"Given states: {group.counts_message()}"
    return State(kind, None, message, data=value)


class StateGroup:
    """Counts over a group of states (what an aggregate final state is decided by)."""

    def __init__(self, states: Iterable[State]) -> None:
        self.states = list(states)
        self.total = len(self.states)
        self.type_counts = Counter(state.type for state in self.states)
        self.name_counts = Counter(state.name for state in self.states)

    def _count(self, *names: str) -> int:
        from headwater.states import StateType

        return sum(self.type_counts[StateType(name)] for name in names)

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
    "exception_to_crashed_state",
    "exception_to_failed_state",
    "format_exception",
    "get_state_exception",
    "get_state_result",
    "raise_state_exception",
    "return_value_to_state",
]
