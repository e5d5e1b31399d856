"""Each flow-run rule on its own, against a real store (SQLite and PostgreSQL).

A run is created in the store in some state; a proposal goes through
``set_flow_run_state`` with a policy of just the rule under test, and the stored run
shows the decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from headwater.schemas.orchestration import OrchestrationResult, SetStateStatus
from headwater.server.db.database import get_database
from headwater.server.orchestration.policy import FLOW_RUN_POLICY
from headwater.server.orchestration.rules import (
    CancellingOnlyToCancelled,
    NoLeavingTerminalState,
    OnlyScheduledRunsBecomeLate,
    RejectDuplicateTransition,
    RejectPendingWhileActive,
    RetryFailedFlows,
    Rule,
)
from headwater.server.store import flow_runs
from headwater.states import (
    AwaitingRetry,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Late,
    Pending,
    Retrying,
    Running,
    Scheduled,
    State,
    StateType,
)


@pytest.fixture
def store(database_url: str) -> Any:
    return get_database(database_url)


def _run_in(store: Any, state: State, **policy: Any) -> Any:
    with store.begin_write() as conn:
        created = flow_runs.create_flow_run(
            conn,
            flow_run={"flow_name": "rules", "name": "r", "empirical_policy": policy},
            state=state,
        )
    return created["id"]


def propose(store: Any, run_id: Any, state: State, rule: Rule) -> OrchestrationResult:
    with store.begin_write() as conn:
        return flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=state, policy=(rule,))


def stored_state(store: Any, run_id: Any) -> State:
    with store.begin_read() as conn:
        return flow_runs.read_flow_run(conn, flow_run_id=run_id).state


# -- RejectDuplicateTransition ---------------------------------------------------------


def test_duplicate_transition_is_rejected_with_current_state(store: Any) -> None:
    run_id = _run_in(store, Running())
    result = propose(store, run_id, Running(), RejectDuplicateTransition())
    assert result.status is SetStateStatus.REJECT
    assert result.state.type is StateType.RUNNING
    assert "already Running" in (result.reason or "")
    with store.begin_read() as conn:
        assert len(flow_runs.read_flow_run_states(conn, flow_run_id=run_id)) == 1


def test_same_type_other_name_is_not_a_duplicate(store: Any) -> None:
    run_id = _run_in(store, Running())
    assert propose(store, run_id, Retrying(), RejectDuplicateTransition()).accepted


def test_rescheduling_is_not_a_duplicate(store: Any) -> None:
    run_id = _run_in(store, Scheduled())
    assert propose(store, run_id, Scheduled(), RejectDuplicateTransition()).accepted


# -- CancellingOnlyToCancelled ---------------------------------------------------------


@pytest.mark.parametrize("proposed", [Running, Completed, Failed, Pending])
def test_cancelling_run_cannot_become_anything_but_cancelled(store: Any, proposed: Any) -> None:
    run_id = _run_in(store, Cancelling())
    result = propose(store, run_id, proposed(), CancellingOnlyToCancelled())
    assert result.status is SetStateStatus.REJECT
    assert stored_state(store, run_id).type is StateType.CANCELLING
    assert "cancelled" in (result.reason or "")


def test_cancelling_run_can_become_cancelled(store: Any) -> None:
    run_id = _run_in(store, Cancelling())
    assert propose(store, run_id, Cancelled(), CancellingOnlyToCancelled()).accepted
    assert stored_state(store, run_id).type is StateType.CANCELLED


# -- NoLeavingTerminalState ------------------------------------------------------------


@pytest.mark.parametrize("terminal", [Completed, Failed, Cancelled, Crashed])
def test_no_running_after_a_terminal_state(store: Any, terminal: Any) -> None:
    run_id = _run_in(store, terminal())
    result = propose(store, run_id, Running(), NoLeavingTerminalState())
    assert result.status is SetStateStatus.REJECT
    assert result.state.type is terminal().type
    assert "already finished" in (result.reason or "")


@pytest.mark.parametrize("terminal", [Failed, Crashed, Cancelled])
def test_a_retry_may_leave_a_failed_state(store: Any, terminal: Any) -> None:
    run_id = _run_in(store, terminal())
    assert propose(store, run_id, AwaitingRetry(), NoLeavingTerminalState()).accepted
    assert stored_state(store, run_id).name == "AwaitingRetry"


def test_a_completed_run_is_not_retried(store: Any) -> None:
    run_id = _run_in(store, Completed())
    result = propose(store, run_id, AwaitingRetry(), NoLeavingTerminalState())
    assert result.status is SetStateStatus.REJECT


# -- RejectPendingWhileActive ----------------------------------------------------------


@pytest.mark.parametrize("active", [Pending, Running, Cancelling])
def test_started_run_cannot_go_back_to_pending(store: Any, active: Any) -> None:
    run_id = _run_in(store, active())
    result = propose(store, run_id, Pending(), RejectPendingWhileActive())
    assert result.status is SetStateStatus.REJECT
    assert stored_state(store, run_id).type is active().type


def test_scheduled_run_can_become_pending(store: Any) -> None:
    run_id = _run_in(store, Scheduled())
    assert propose(store, run_id, Pending(), RejectPendingWhileActive()).accepted


# -- OnlyScheduledRunsBecomeLate -------------------------------------------------------


def test_scheduled_run_can_become_late(store: Any) -> None:
    run_id = _run_in(store, Scheduled())
    assert propose(store, run_id, Late(), OnlyScheduledRunsBecomeLate()).accepted
    assert stored_state(store, run_id).name == "Late"


@pytest.mark.parametrize("other", [Running, Pending, Completed])
def test_only_scheduled_runs_become_late(store: Any, other: Any) -> None:
    run_id = _run_in(store, other())
    result = propose(store, run_id, Late(), OnlyScheduledRunsBecomeLate())
    assert result.status is SetStateStatus.REJECT
    assert "only a Scheduled run can be Late" in (result.reason or "")


# -- RetryFailedFlows ------------------------------------------------------------------


def test_failed_run_with_retries_left_awaits_retry_at_the_retry_time(store: Any) -> None:
    run_id = _run_in(store, Running(), retries=2, retry_delay_seconds=[10, 60])
    before = dt.datetime.now(dt.timezone.utc)
    result = propose(store, run_id, Failed(message="boom"), RetryFailedFlows())
    assert result.status is SetStateStatus.REJECT
    assert result.state.name == "AwaitingRetry" and result.state.type is StateType.SCHEDULED
    when = result.state.state_details.scheduled_time
    assert when is not None
    assert dt.timedelta(seconds=9) < when - before < dt.timedelta(seconds=12)
    assert "boom" in (result.state.message or "")
    stored = stored_state(store, run_id)
    assert stored.name == "AwaitingRetry"
    with store.begin_read() as conn:
        run = flow_runs.read_flow_run(conn, flow_run_id=run_id)
    assert run.next_scheduled_start_time is not None


def test_failed_run_without_retries_left_fails(store: Any) -> None:
    run_id = _run_in(store, Running(), retries=0)
    assert propose(store, run_id, Failed(), RetryFailedFlows()).accepted
    assert stored_state(store, run_id).type is StateType.FAILED


def test_retries_are_counted_by_run_count(store: Any) -> None:
    run_id = _run_in(store, Running(), retries=1)
    assert propose(store, run_id, Failed(), RetryFailedFlows()).state.name == "AwaitingRetry"
    assert propose(store, run_id, Retrying(), RetryFailedFlows()).accepted
    assert propose(store, run_id, Failed(), RetryFailedFlows()).accepted  # run 2 of 1+1


# -- the whole policy ------------------------------------------------------------------


def test_policy_orders_rules_so_each_decides_its_case(store: Any) -> None:
    run_id = _run_in(store, Running(), retries=1)
    with store.begin_write() as conn:
        retry = flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Failed())
        assert retry.state.name == "AwaitingRetry"
        again = flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Retrying())
        assert again.accepted
        done = flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Completed())
        assert done.accepted
        late = flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Running())
        assert late.status is SetStateStatus.REJECT
    assert len(FLOW_RUN_POLICY) == 6
