"""When a v1 task runs, decided from its upstream states (Prefect 1's
``prefect.triggers``).  A trigger takes ``{edge: state}`` and returns True to run, or
raises ``TRIGGERFAIL`` (the task fails without running), ``SKIP`` or ``PAUSE``."""

from __future__ import annotations

from typing import Any

from headwater.v1.engine import signals


def _states(upstream_states: dict[Any, Any]) -> list[Any]:
    return list(upstream_states.values())


def all_successful(upstream_states: dict[Any, Any]) -> bool:
    """Run when every upstream task succeeded (skipped counts as success): the default."""
    if not all(s.is_successful() for s in _states(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_successful" but some of the upstream tasks failed.'
        )
    return True


def all_failed(upstream_states: dict[Any, Any]) -> bool:
    """Run when every upstream task failed."""
    if not all(s.is_failed() for s in _states(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_failed" but some of the upstream tasks succeeded.'
        )
    return True


def any_successful(upstream_states: dict[Any, Any]) -> bool:
    """Run when at least one upstream task succeeded (or there are none)."""
    states = _states(upstream_states)
    if states and not any(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "any_successful" but none of the upstream tasks succeeded.'
        )
    return True


def any_failed(upstream_states: dict[Any, Any]) -> bool:
    """Run when at least one upstream task failed (or there are none)."""
    states = _states(upstream_states)
    if states and not any(s.is_failed() for s in states):
        raise signals.TRIGGERFAIL('Trigger was "any_failed" but none of the upstream tasks failed.')
    return True


def all_finished(upstream_states: dict[Any, Any]) -> bool:
    """Run once every upstream task finished, however it ended (cleanup tasks)."""
    if not all(s.is_finished() for s in _states(upstream_states)):
        raise signals.TRIGGERFAIL(
            'Trigger was "all_finished" but some of the upstream tasks were not finished.'
        )
    return True


always_run = all_finished


def not_all_skipped(upstream_states: dict[Any, Any]) -> bool:
    """Run unless every upstream task was skipped (then skip); fail if one failed."""
    states = _states(upstream_states)
    if states and all(s.is_skipped() for s in states):
        raise signals.SKIP("All upstream tasks were skipped.")
    if not all(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL(
            'Trigger was "not_all_skipped" but some of the upstream tasks failed.'
        )
    return True


def manual_only(upstream_states: dict[Any, Any]) -> bool:
    """Never run by itself: the task pauses (resuming runs from Prefect Cloud are not
    available on Headwater, so the task stays Paused and the flow run fails)."""
    raise signals.PAUSE('Trigger function is "manual_only"')


__all__ = [
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "manual_only",
    "not_all_skipped",
]
