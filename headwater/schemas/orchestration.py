"""The answer to a proposed flow-run state change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from headwater.states import State


class SetStateStatus(str, Enum):
    ACCEPT = "ACCEPT"  # the proposed state is now the run's state
    REJECT = "REJECT"  # the run keeps (or moved to) ``state`` instead; see ``reason``
    ABORT = "ABORT"  # the run cannot change state at all (e.g. it does not exist)


@dataclass
class OrchestrationResult:
    status: SetStateStatus
    state: State
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is SetStateStatus.ACCEPT

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "state": self.state.to_dict(), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrchestrationResult:
        return cls(
            SetStateStatus(data["status"]), State.from_dict(data["state"]), data.get("reason")
        )
