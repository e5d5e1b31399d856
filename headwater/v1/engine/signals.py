"""Signals a v1 task raises to choose its own final state (Prefect 1's
``prefect.engine.signals``): ``raise SKIP("no new data")``."""

from __future__ import annotations

from typing import Any

from headwater.v1.engine import state


class Signal(Exception):
    """Base of the v1 signals: carries the state the task ends in."""

    _state_cls: type[state.State] = state.State

    def __init__(self, message: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(message, *args)
        result = kwargs.pop("result", self)  # Prefect 1: the signal itself by default
        self.state = kwargs.pop("state", None) or self._state_cls(
            message=message, result=result, **kwargs
        )


class SUCCESS(Signal):
    """End the task successfully now (``result=`` is its result)."""

    _state_cls = state.Success


class FAIL(Signal):
    """Fail the task (it is retried when it has retries left)."""

    _state_cls = state.Failed


class TRIGGERFAIL(FAIL):
    """Raised by a trigger: the task does not run."""

    _state_cls = state.TriggerFailed


class SKIP(SUCCESS):
    """Skip the task; its downstream tasks skip too unless ``skip_on_upstream_skip=False``."""

    _state_cls = state.Skipped


class PAUSE(Signal):
    """Stop before running and wait for a person (``manual_only``)."""

    _state_cls = state.Paused


class LOOP(Signal):
    """Run the task again with ``result=`` in ``context["task_loop_result"]``."""

    _state_cls = state.Looped


class ENDRUN(Exception):
    """End the task in ``state`` at once, without retries."""

    def __init__(self, state: state.State) -> None:
        super().__init__(state.message)
        self.state = state


__all__ = ["ENDRUN", "FAIL", "LOOP", "PAUSE", "SKIP", "SUCCESS", "TRIGGERFAIL", "Signal"]
