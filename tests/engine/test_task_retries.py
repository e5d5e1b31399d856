"""Task retries: delays as a number, a list or exponential backoff, jitter, conditions."""

from __future__ import annotations

import time
from typing import Any

import pytest

from headwater import flow, task
from headwater.tasks import exponential_backoff
from tests.helpers import last_run, task_runs_of


def _flaky(fail_times: int) -> Any:
    calls: list[float] = []

    def body() -> str:
        calls.append(time.monotonic())
        if len(calls) <= fail_times:
            raise ConnectionError(f"attempt {len(calls)}")
        return "ok"

    return body, calls


def test_retries_until_success_with_history() -> None:
    body, calls = _flaky(2)
    flaky = task(body, retries=3, retry_delay_seconds=0.01, name="flaky")

    @flow
    def pipeline() -> str:
        return flaky()

    assert pipeline() == "ok"
    assert len(calls) == 3
    run = task_runs_of(last_run().id)[0]
    assert run.run_count == 3
    assert [t.name for t in run.transitions] == [
        "Pending",
        "Running",
        "Failed",
        "AwaitingRetry",
        "Retrying",
        "Failed",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]


def test_retry_delays_from_a_list_are_used_in_order() -> None:
    body, calls = _flaky(2)
    flaky = task(body, retries=2, retry_delay_seconds=[0.05, 0.15], name="flaky")

    @flow
    def pipeline() -> str:
        return flaky()

    pipeline()
    first_gap, second_gap = calls[1] - calls[0], calls[2] - calls[1]
    assert 0.05 <= first_gap < 0.15 <= second_gap


def test_exponential_backoff() -> None:
    assert exponential_backoff(0.5)(3) == [0.5, 1.0, 2.0]
    body, calls = _flaky(2)
    flaky = task(body, retries=2, retry_delay_seconds=exponential_backoff(0.04), name="flaky")

    @flow
    def pipeline() -> str:
        return flaky()

    pipeline()
    assert calls[2] - calls[1] >= 0.08 > calls[1] - calls[0] >= 0.04


def test_jitter_keeps_delays_within_the_factor() -> None:
    probe = task(lambda: None, retries=5, retry_delay_seconds=1.0, retry_jitter_factor=0.5)
    delays = [probe.retry_delay_for(1) for _ in range(200)]
    assert all(0.5 <= d <= 1.5 for d in delays)
    assert len(set(delays)) > 100


def test_retry_condition_stops_retrying() -> None:
    calls: list[int] = []

    def only_connection_errors(task_obj: Any, task_run: Any, state: Any) -> bool:
        try:
            state.result()
        except ConnectionError:
            return True
        except Exception:
            return False
        return False

    @task(retries=5, retry_condition_fn=only_connection_errors)
    def picky() -> None:
        calls.append(1)
        raise ValueError("not retryable")

    @flow
    def pipeline() -> None:
        picky()

    with pytest.raises(ValueError):
        pipeline()
    assert len(calls) == 1


def test_bad_retry_options_fail_at_decoration() -> None:
    from headwater.exceptions import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="retries"):
        task(lambda: None, retries=-1)
    with pytest.raises(InvalidOptionError, match="retry_delay_seconds"):
        task(lambda: None, retries=1, retry_delay_seconds=[1, "x"])
    with pytest.raises(InvalidOptionError, match="retry_jitter_factor"):
        task(lambda: None, retry_jitter_factor=-0.1)
