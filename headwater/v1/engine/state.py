"""Prefect 1 task and flow states, as ``flow.run()`` returns them.

A v1 state is a small value object: its class says what happened (``Success``,
``Failed``, ``Skipped``…), ``.result`` holds the task's return value (or, for a flow,
``{task: state}``), ``.message`` says why.  The Headwater run records keep their own
states; these exist so ported code that inspects ``flow.run()``'s answer keeps working.
"""

from __future__ import annotations

from typing import Any


class State:
    """Base of every v1 state."""

    color = "#999999"

    def __init__(self, message: str | None = None, result: Any = None, **extra: Any) -> None:
        self.message = message
        self.result = result
        self.context: dict[str, Any] = dict(extra.pop("context", None) or {})
        for key, value in extra.items():
            setattr(self, key, value)

    def is_pending(self) -> bool:
        return isinstance(self, Pending)

    def is_running(self) -> bool:
        return isinstance(self, Running)

    def is_finished(self) -> bool:
        return isinstance(self, Finished)

    def is_successful(self) -> bool:
        return isinstance(self, Success)

    def is_failed(self) -> bool:
        return isinstance(self, Failed)

    def is_skipped(self) -> bool:
        return isinstance(self, Skipped)

    def is_mapped(self) -> bool:
        return isinstance(self, Mapped)

    def is_retrying(self) -> bool:
        return isinstance(self, Retrying)

    def is_looped(self) -> bool:
        return isinstance(self, Looped)

    def is_paused(self) -> bool:
        return isinstance(self, Paused)

    def __repr__(self) -> str:
        message = f": {self.message!r}" if self.message else ""
        return f"<{type(self).__name__}{message}>"

    def __str__(self) -> str:
        return type(self).__name__


class Pending(State):
    """Not started yet."""


class Paused(Pending):
    """Waiting for someone to resume it (``manual_only``, ``PAUSE``)."""


class Running(State):
    """In progress."""


class Retrying(Pending):
    """Failed, and will run again after ``retry_delay``."""


class Finished(State):
    """Done, one way or another."""


class Looped(Finished):
    """Ran once and will run again (``LOOP``)."""


class Success(Finished):
    """Finished without error."""


class Cached(Success):
    """Finished with a result from a cache."""


class Mapped(Success):
    """A mapped task: ``map_states`` holds one state per child, ``result`` their results."""

    def __init__(
        self,
        message: str | None = None,
        result: Any = None,
        map_states: list[State] | None = None,
        **extra: Any,
    ) -> None:
        self.map_states: list[State] = list(map_states or [])
        if result is None:
            result = [state.result for state in self.map_states]
        super().__init__(message, result, **extra)

    @property
    def n_map_states(self) -> int:
        return len(self.map_states)


class Skipped(Success):
    """Skipped on purpose (``SKIP``, an upstream skip, a ``case`` not taken)."""


class Failed(Finished):
    """Finished with an error; ``result`` holds the exception."""


class TriggerFailed(Failed):
    """Not run: its trigger said no (e.g. an upstream task failed)."""


class TimedOut(Failed):
    """Ran longer than its ``timeout``."""


class Cancelled(Finished):
    """Cancelled before it finished."""
