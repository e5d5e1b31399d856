"""Every @flow/@task and with_options argument Prefect 3 accepts is accepted here."""

from __future__ import annotations

import datetime as dt

import pytest

from headwater import flow, task
from headwater.exceptions import UnknownOptionError
from headwater.flows import FLOW_OPTIONS
from headwater.tasks import TASK_OPTIONS

#: Prefect 3.9's @flow and @task keyword arguments (from its documented signatures).
PREFECT_FLOW_OPTIONS = (
    "name",
    "version",
    "flow_run_name",
    "retries",
    "retry_delay_seconds",
    "task_runner",
    "description",
    "timeout_seconds",
    "validate_parameters",
    "persist_result",
    "result_storage",
    "result_serializer",
    "cache_result_in_memory",
    "log_prints",
    "on_completion",
    "on_failure",
    "on_cancellation",
    "on_crashed",
    "on_running",
)
PREFECT_TASK_OPTIONS = (
    "name",
    "description",
    "tags",
    "version",
    "cache_policy",
    "cache_key_fn",
    "cache_expiration",
    "task_run_name",
    "retries",
    "retry_delay_seconds",
    "retry_jitter_factor",
    "persist_result",
    "result_storage",
    "result_serializer",
    "result_storage_key",
    "cache_result_in_memory",
    "timeout_seconds",
    "log_prints",
    "refresh_cache",
    "on_completion",
    "on_failure",
    "on_running",
    "on_rollback",
    "on_commit",
    "retry_condition_fn",
    "viz_return_value",
    "asset_deps",
)


def test_every_prefect_option_is_known() -> None:
    assert set(PREFECT_FLOW_OPTIONS) <= set(FLOW_OPTIONS)
    assert set(PREFECT_TASK_OPTIONS) <= set(TASK_OPTIONS)


def test_the_accepted_no_ops_run() -> None:
    @task(viz_return_value=1, asset_deps=["s3://bucket/x"], cache_expiration=dt.timedelta(1))
    def t(x: int) -> int:
        return x

    @flow(cache_result_in_memory=False)
    def f() -> int:
        return t.with_options(viz_return_value=None)(2)

    assert f() == 2
    assert f.with_options(cache_result_in_memory=True, validate_parameters=False)() == 2


def test_unknown_options_still_fail_in_one_line() -> None:
    with pytest.raises(UnknownOptionError, match="did you mean 'on_running'"):
        task(on_runing=[])  # type: ignore[call-overload]
    with pytest.raises(UnknownOptionError):
        flow(viz_return_value=1)  # type: ignore[call-overload]
