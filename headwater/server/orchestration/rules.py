"""The rules applied to flow-run state changes, each deciding one thing."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from headwater.schemas.orchestration import SetStateStatus
from headwater.server.orchestration.context import Decision, TransitionContext
from headwater.states import TERMINAL_TYPES, AwaitingRetry, StateType

ALL_TYPES = frozenset(StateType)


class Rule:
    """Applies when the current state's type is in ``from_types`` (None: a new run)
    and the proposed type is in ``to_types``; ``decide`` returns a Decision or None
    (no objection)."""

    from_types: ClassVar[frozenset[StateType | None]] = frozenset({*ALL_TYPES, None})
    to_types: ClassVar[frozenset[StateType]] = ALL_TYPES

    def applies(self, ctx: TransitionContext) -> bool:
        initial_type = ctx.initial.type if ctx.initial else None
        return initial_type in self.from_types and ctx.proposed.type in self.to_types

    def decide(self, ctx: TransitionContext) -> Decision | None:
        raise NotImplementedError

    @staticmethod
    def reject(ctx: TransitionContext, reason: str) -> Decision:
        return Decision(SetStateStatus.REJECT, ctx.initial, reason)


class RejectDuplicateTransition(Rule):
    """Proposing the state a run is already in is a no-op, reported as a rejection."""

    from_types = frozenset(ALL_TYPES - {StateType.SCHEDULED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        assert ctx.initial is not None
        if ctx.initial.type is ctx.proposed.type and ctx.initial.name == ctx.proposed.name:
            return self.reject(ctx, f"the run is already {ctx.initial.name}")
        return None


class CancellingOnlyToCancelled(Rule):
    """A run being cancelled can only end Cancelled."""

    from_types = frozenset({StateType.CANCELLING})
    to_types = frozenset(ALL_TYPES - {StateType.CANCELLED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        return self.reject(ctx, "the run is being cancelled; it can only become Cancelled")


class NoLeavingTerminalState(Rule):
    """A finished run stays finished, except for an explicit retry (AwaitingRetry)."""

    from_types = frozenset(TERMINAL_TYPES)

    def decide(self, ctx: TransitionContext) -> Decision | None:
        assert ctx.initial is not None
        retry = ctx.proposed.type is StateType.SCHEDULED and ctx.proposed.name == "AwaitingRetry"
        if retry and ctx.initial.type is not StateType.COMPLETED:
            return None
        return self.reject(
            ctx,
            f"the run already finished {ctx.initial.name}; it cannot become {ctx.proposed.name}",
        )


class RejectPendingWhileActive(Rule):
    """Pending means "about to start": a run already started (or being cancelled) cannot
    go back to it, so a second worker claiming the same run is turned away."""

    from_types = frozenset({StateType.PENDING, StateType.RUNNING, StateType.CANCELLING})
    to_types = frozenset({StateType.PENDING})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        assert ctx.initial is not None
        return self.reject(ctx, f"the run is already {ctx.initial.name}; it cannot become Pending")


class OnlyScheduledRunsBecomeLate(Rule):
    """Late describes a scheduled run that has not started on time, nothing else."""

    from_types = frozenset({*ALL_TYPES - {StateType.SCHEDULED}, None})
    to_types = frozenset({StateType.SCHEDULED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        if ctx.proposed.name != "Late":
            return None
        current = ctx.initial.name if ctx.initial else "new"
        return Decision(
            SetStateStatus.REJECT, ctx.initial, f"only a Scheduled run can be Late, not {current}"
        )


class RetryFailedFlows(Rule):
    """A failing run with retries left is scheduled again instead (AwaitingRetry)."""

    from_types = frozenset({StateType.RUNNING})
    to_types = frozenset({StateType.FAILED})

    def decide(self, ctx: TransitionContext) -> Decision | None:
        policy: dict[str, Any] = ctx.run.get("empirical_policy") or {}
        retries = int(policy.get("retries") or 0)
        run_count = int(ctx.run.get("run_count") or 0)
        if run_count > retries:
            return None
        delay = retry_delay(policy.get("retry_delay_seconds"), run_count)
        when = dt.datetime.fromtimestamp(ctx.now + delay, dt.timezone.utc)
        retry = AwaitingRetry(
            when, message=f"retry {run_count} of {retries} after: {ctx.proposed.message}"
        )
        return Decision(SetStateStatus.REJECT, retry, "the run has retries left")


def retry_delay(spec: Any, attempt: int) -> float:
    """Delay before retry number ``attempt`` (1-based): a number or a list of numbers."""
    if not spec:
        return 0.0
    if isinstance(spec, (list, tuple)):
        return float(spec[min(attempt, len(spec)) - 1])
    return float(spec)
