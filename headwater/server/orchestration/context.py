"""What a rule sees when a state change is proposed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from headwater.schemas.orchestration import SetStateStatus
from headwater.states import State


@dataclass
class TransitionContext:
    """A proposed change of one flow run's state.

    ``run`` is the flow run's row as stored (before the change); ``initial`` its
    current state (None for a run being created).
    """

    run: dict[str, Any]
    initial: State | None
    proposed: State
    now: float = field(default_factory=time.time)


@dataclass
class Decision:
    """A rule's verdict: accept as is, or answer with another state and a reason."""

    status: SetStateStatus
    state: State | None = None
    reason: str | None = None
