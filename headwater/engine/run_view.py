"""What flow hooks and ``get_run_context().flow_run`` see as the flow run.

The fields the engine knows are read live (``state`` is the run's current state);
any other field of the stored run (``deployment_id``, ``expected_start_time``,
``flow_id``, ...) is read from the store once, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.engine.flow_engine import FlowRunEngine


class FlowRunView:
    __slots__ = (
        "_engine",
        "_stored",
        "flow_name",
        "flow_version",
        "id",
        "parent_flow_run_id",
        "parent_task_run_id",
    )

    def __init__(self, engine: FlowRunEngine) -> None:
        self._engine = engine
        self._stored: Any = None
        self.id = engine.flow_run_id
        self.flow_name = engine.flow.name
        self.flow_version = engine.flow.version
        self.parent_flow_run_id = engine.parent.flow_run_id if engine.parent else None
        self.parent_task_run_id = engine.parent_task.id if engine.parent_task else None

    @property
    def name(self) -> str:
        return self._engine.name

    @property
    def parameters(self) -> dict[str, Any]:
        return self._engine.parameters

    @property
    def run_count(self) -> int:
        return self._engine.run_count

    @property
    def state(self) -> Any:
        return self._engine.state

    @property
    def state_type(self) -> Any:
        state = self._engine.state
        return state.type if state is not None else None

    @property
    def state_name(self) -> str | None:
        state = self._engine.state
        return state.name if state is not None else None

    @property
    def tags(self) -> list[str]:
        return list(self._stored_run().tags)

    def _stored_run(self) -> Any:
        if self._stored is None:
            self._stored = self._engine.backend.client.read_flow_run(self.id)
        return self._stored

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._stored_run(), name)

    def __repr__(self) -> str:
        return f"FlowRun(name={self.name!r}, id={self.id})"
