"""A flow run's final state from what its function returned (Prefect 3's rules).

Futures in the value (also inside lists, tuples, sets and dicts) are first replaced
by their task runs' final states. Then:
- a State the flow made (``return Completed(...)``): that state (a fresh copy; a
  state that is not final fails the run);
- a task run's state (a returned future, or ``return_state=True``): decided as a group
  of one, as below, and the caller gets that state back (as Prefect 3 does; the
  run's message is the task run's own when it did not complete);
- a non-empty list, tuple or set made only of States: Completed if all completed,
  else Cancelled, Paused or Failed; the collection stays the run's value;
- anything else (a dict of states, a tuple mixing states and data, ...): Completed
  with the value as the result.
An exception raised by the function makes the run Failed (handled by the engine).
"""

from __future__ import annotations

from typing import Any

from headwater.futures import resolve_futures_to_states
from headwater.states import Failed, State, StateType, return_value_to_state


def final_state_from_return(value: Any) -> State:
    value = resolve_futures_to_states(value)
    if isinstance(value, State):
        if value.state_details.task_run_id is None:
            return _returned_state(value)
        state = return_value_to_state([value])
        if value.type is StateType.PENDING and value.name == "NotReady":
            state = Failed(message=value.message, name="NotReady")
        elif not value.is_completed() and value.message:
            state.message = value.message  # more telling than "1/1 states failed."
        state.data = value
        return state
    return return_value_to_state(value)


def _returned_state(state: State) -> State:
    """A fresh state of the same kind (the returned one may belong to a task run)."""
    if state.type is StateType.PENDING and state.name == "NotReady":
        return Failed(state.data, message=state.message, name="NotReady")
    if not state.is_final():
        return Failed(message=f"the flow returned a state that is not final: {state.name}")
    return State(state.type, state.name, state.message, data=state.data)
