"""A flow run's final state from what its function returned (Prefect 3's rules).

- a State: that state;
- a future: its task run's final state;
- a list/tuple/set/dict holding states or futures: Failed if any of them failed,
  crashed or never ran, Cancelled if any was cancelled, otherwise Completed;
- anything else: Completed with the value as the result.
An exception raised by the function makes the run Failed (handled by the engine).
"""

from __future__ import annotations

from typing import Any

from headwater.futures import HeadwaterFuture
from headwater.states import Cancelled, Completed, Failed, State, StateType, iter_states


def final_state_from_return(value: Any) -> State:
    if isinstance(value, HeadwaterFuture):
        value = value.wait_state()
    if isinstance(value, State):
        return _returned_state(value)
    states = list(iter_states(value))
    if not states:
        return Completed(value)
    not_completed = [s for s in states if s.type is not StateType.COMPLETED]
    if not not_completed:
        return Completed(value)
    cancelled = [s for s in not_completed if s.type is StateType.CANCELLED]
    if cancelled and len(cancelled) == len(not_completed):
        return Cancelled(value, message=f"{len(cancelled)}/{len(states)} states were cancelled")
    first = next(s for s in not_completed if s.type is not StateType.CANCELLED)
    message = f"{len(not_completed)}/{len(states)} states did not complete; first: {first.name}"
    if first.message:
        message += f" ({first.message})"
    return Failed(value, message=message)


def _returned_state(state: State) -> State:
    """A fresh state of the same kind (the returned one may belong to a task run)."""
    if state.type is StateType.PENDING and state.name == "NotReady":
        return Failed(state.data, message=state.message, name="NotReady")
    fresh = State(state.type, state.name, state.message, data=state.data)
    if not state.is_final():
        return Failed(message=f"the flow returned a state that is not final: {state.name}")
    return fresh
