"""docs/testing.md's pytest recipe, as written there (kept true by running it)."""

from __future__ import annotations

import pytest

from headwater import flow, task
from headwater.testing.utilities import disable_run_logger, headwater_test_harness


@task(retries=2, retry_delay_seconds=0)
def fetch(region: str, failures: list[str]) -> int:
    if len(failures) < 2:
        failures.append(region)
        raise ConnectionError("flaky source")
    return {"eu": 10, "us": 12}[region]


@task
def double(x: int) -> int:
    return 2 * x


@flow
def nightly(regions: list[str], factor: int = 1) -> int:
    return sum(double(fetch(region, [])) for region in regions) * factor


@pytest.fixture(autouse=True)
def headwater_test_fixture():  # in your conftest.py: scope="session"
    with headwater_test_harness():
        yield


def test_a_task_function() -> None:
    with disable_run_logger():
        assert double.fn(21) == 42


def test_a_flow() -> None:
    assert nightly(["eu", "us"]) == 44


def test_retries() -> None:
    failures: list[str] = []
    state = fetch("eu", failures, return_state=True)
    assert state.is_completed() and state.result() == 10
    assert failures == ["eu", "eu"]  # two failed attempts, then a success


def test_a_deployments_parameters() -> None:
    deployment = nightly.to_deployment("nightly", parameters={"regions": ["eu"], "factor": "3"})
    assert nightly(**deployment.parameters) == 60  # "3" is coerced to 3, as a run would
    state = nightly(regions="not-a-list-of-regions", return_state=True)
    assert state.is_failed()
