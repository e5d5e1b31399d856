"""``Parameter``: a value given to ``flow.run(parameters=...)`` (or a deployment run)."""

from __future__ import annotations

from typing import Any

from headwater.v1.core.task import Task

_NO_DEFAULT = object()


class Parameter(Task):
    """``Parameter("x", default=1)``: the flow's input named ``x``.

    ``required`` defaults to True when no default is given.  A parameter is a node of
    the graph (its state is in ``flow.run().result``) but not a Headwater task run: its
    value is recorded as the flow run's parameter."""

    def __init__(
        self, name: str, default: Any = None, required: bool | None = None, tags: Any = None
    ) -> None:
        if required is None:
            required = default is None
        self.default = default
        self.required = required
        super().__init__(name=name, slug=name, tags=tags)

    def run(self) -> Any:
        from headwater.v1.run_context import context

        values = context.get("parameters") or {}
        if self.name in values:
            return values[self.name]
        return self.default

    def copy(self, **task_args: Any) -> Task:
        raise TypeError(f"Parameter {self.name!r} cannot be copied: use it directly")

    def __call__(self, *args: Any, **kwargs: Any) -> Task:
        return super().bind(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Parameter: {self.name}>"


class DateTimeParameter(Parameter):
    """A parameter whose value is an ISO 8601 string, given to tasks as a datetime."""

    def run(self) -> Any:
        import datetime as dt

        value = super().run()
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value
