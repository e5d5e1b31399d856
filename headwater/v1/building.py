"""The flow whose ``with`` block is open, and the open ``case`` blocks (graph building)."""

from __future__ import annotations

import contextvars
from typing import Any

CURRENT_FLOW: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "headwater_v1_flow", default=None
)
# The innermost open ``case`` block (each knows its parent), or None.
CURRENT_CASE: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "headwater_v1_case", default=None
)


def current_flow(flow: Any = None, what: str = "this") -> Any:
    """``flow`` if given, else the flow of the open ``with Flow(...)`` block."""
    from headwater.v1.exceptions import V1GraphError

    flow = flow if flow is not None else CURRENT_FLOW.get()
    if flow is None:
        raise V1GraphError(
            f"{what} needs a flow: call it inside a `with Flow(...)` block or pass flow="
        )
    return flow
