"""Flow retries (in process, with delays) and timeouts."""

from __future__ import annotations

import time

import pytest

from headwater import flow
from headwater.exceptions import FlowRunTimeoutError
from tests.helpers import history_of, last_run


def test_flow_retries_until_it_succeeds() -> None:
    attempts: list[int] = []

    @flow(retries=2, retry_delay_seconds=0.05)
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        return "done"

    started = time.monotonic()
    assert flaky() == "done"
    assert time.monotonic() - started >= 0.1
    run = last_run()
    assert run.state.is_completed()
    assert run.run_count == 3
    assert history_of(run.id) == [
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]


def test_flow_fails_when_retries_run_out() -> None:
    @flow(retries=1, retry_delay_seconds=[0.01])
    def always_fails() -> None:
        raise RuntimeError("never")

    with pytest.raises(RuntimeError, match="never"):
        always_fails()
    run = last_run()
    assert run.state.is_failed()
    assert run.run_count == 2


def test_flow_timeout_fails_the_run_named_timed_out() -> None:
    @flow(timeout_seconds=0.2)
    def slow() -> None:
        time.sleep(5)

    started = time.monotonic()
    with pytest.raises(FlowRunTimeoutError):
        slow()
    assert time.monotonic() - started < 2
    run = last_run()
    assert run.state.is_failed()
    assert run.state.name == "TimedOut"


def test_a_timed_out_attempt_is_retried() -> None:
    calls: list[int] = []

    @flow(timeout_seconds=0.2, retries=1)
    def slow_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(5)
        return "ok"

    assert slow_once() == "ok"
    assert last_run().run_count == 2
