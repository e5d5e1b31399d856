"""What flow hooks receive as ``flow_run`` (a light view, not a store read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.engine.flow_engine import FlowRunEngine


class FlowRunView:
    __slots__ = (
        "flow_name",
        "id",
        "name",
        "parameters",
        "parent_flow_run_id",
        "run_count",
        "state",
    )

    def __init__(self, engine: FlowRunEngine) -> None:
        self.id = engine.flow_run_id
        self.name = engine.name
        self.flow_name = engine.flow.name
        self.parameters: dict[str, Any] = engine.parameters
        self.run_count = engine.run_count
        self.state = engine.state
        self.parent_flow_run_id = engine.parent.flow_run_id if engine.parent else None

    def __repr__(self) -> str:
        return f"FlowRun(name={self.name!r}, id={self.id})"
