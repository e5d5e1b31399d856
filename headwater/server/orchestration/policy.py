"""The ordered rules for flow-run state changes and the function that applies them."""

from __future__ import annotations

from headwater.schemas.orchestration import SetStateStatus
from headwater.server.orchestration.context import Decision, TransitionContext
from headwater.server.orchestration.rules import (
    CancellingOnlyToCancelled,
    NoLeavingTerminalState,
    OnlyScheduledRunsBecomeLate,
    RejectDuplicateTransition,
    RejectPendingWhileActive,
    RetryFailedFlows,
    Rule,
)

FLOW_RUN_POLICY: tuple[Rule, ...] = (
    RejectDuplicateTransition(),
    CancellingOnlyToCancelled(),
    NoLeavingTerminalState(),
    RejectPendingWhileActive(),
    OnlyScheduledRunsBecomeLate(),
    RetryFailedFlows(),
)


def decide_transition(
    ctx: TransitionContext, policy: tuple[Rule, ...] = FLOW_RUN_POLICY
) -> Decision:
    """The first rule with an objection decides; otherwise the proposal is accepted."""
    for rule in policy:
        if rule.applies(ctx):
            decision = rule.decide(ctx)
            if decision is not None:
                return decision
    return Decision(SetStateStatus.ACCEPT, ctx.proposed)
