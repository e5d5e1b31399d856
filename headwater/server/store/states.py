"""A state as the ``state_*`` columns of a run's row, and back."""

from __future__ import annotations

from typing import Any

from headwater.states import State, StateDetails


def state_columns(state: State) -> dict[str, Any]:
    return {
        "state_type": state.type.value,
        "state_name": state.name,
        "state_message": state.message,
        "state_timestamp": state.timestamp.timestamp(),
        "state_details": state.state_details.to_dict(),
    }


def state_from_columns(row: dict[str, Any], *, run_key: str) -> State:
    details = StateDetails.from_dict(row.get("state_details"))
    setattr(details, run_key, row["id"])
    return State.from_dict(
        {
            "type": row["state_type"],
            "name": row["state_name"],
            "message": row["state_message"],
            "timestamp": row["state_timestamp"],
        }
    ).copy(state_details=details)
