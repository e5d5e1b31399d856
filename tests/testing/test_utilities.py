"""headwater_test_harness: a temporary store of its own for a block of tests, gone
afterwards; disable_run_logger for calling a task's function directly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headwater import flow, get_run_logger, task
from headwater.artifacts import create_markdown_artifact
from headwater.client import get_client
from headwater.client.writer import flush_all
from headwater.schemas.artifacts import ArtifactFilter
from headwater.settings import get_settings
from headwater.testing.utilities import (
    disable_run_logger,
    headwater_test_harness,
    prefect_test_harness,
)
from headwater.variables import Variable


@task(retries=2, retry_delay_seconds=0)
def flaky(attempts: list[int]) -> int:
    attempts.append(1)
    if len(attempts) < 3:
        raise RuntimeError("not yet")
    get_run_logger().info("done after %d", len(attempts))
    return len(attempts)


@flow
def pipeline(n: int) -> int:
    create_markdown_artifact(f"n = {n}", key="harness-report")
    return flaky([]) + n


def test_runs_go_to_a_temporary_store_that_is_gone_afterwards(headwater_home: Path) -> None:
    outside = get_settings().database_url_or_default
    Variable.set("where", "outside")
    with headwater_test_harness():
        inside = get_settings()
        assert inside.database_url_or_default != outside
        assert inside.api_url is None
        directory = inside.home
        assert Variable.get("where") is None  # nothing of the user's store
        assert pipeline(4) == 7
        flush_all()
        runs = get_client().read_flow_runs()
        assert [r.state.type.value for r in runs] == ["COMPLETED"]
        (artifact,) = get_client().read_artifacts(
            artifact_filter=ArtifactFilter(key="harness-report")
        )
        assert artifact.data == "n = 4"
    assert not directory.exists()
    assert get_settings().database_url_or_default == outside
    assert Variable.get("where") == "outside"
    assert get_client().read_artifacts(artifact_filter=ArtifactFilter(key="harness-report")) == []


def test_the_prefect_name_and_an_outer_api_url_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", "http://127.0.0.1:9")  # nothing listens
    with prefect_test_harness(server_startup_timeout=5):
        assert pipeline(1) == 4
    assert os.environ["HEADWATER_API_URL"] == "http://127.0.0.1:9"


def test_a_tasks_function_with_the_run_logger_disabled() -> None:
    with disable_run_logger():
        assert flaky.fn([1, 1]) == 3


@pytest.fixture
def harness(headwater_home: Path) -> object:
    # Users make it session-wide (docs/testing.md); here it must come after this
    # suite's own per-test home.
    with headwater_test_harness():
        yield


def test_as_a_fixture(harness: object) -> None:
    assert pipeline(2) == 5
    assert "headwater-test-" in str(get_settings().home)


def test_each_harness_starts_from_an_empty_copy_of_the_store(headwater_home: Path) -> None:
    """The schema is made once per process and copied: a later harness sees nothing
    an earlier one wrote, and the template itself stays empty."""
    from headwater.testing.utilities import _empty_store_template

    with headwater_test_harness():
        assert pipeline(1) == 4
        Variable.set("left-behind", "yes")
        flush_all()
        assert len(get_client().read_flow_runs()) == 1
    with headwater_test_harness():
        assert get_client().read_flow_runs() == []
        assert Variable.get("left-behind") is None
        assert pipeline(2) == 5
    template = _empty_store_template()
    assert template.exists()
    import sqlite3

    with sqlite3.connect(template) as conn:
        assert conn.execute("select count(*) from flow_runs").fetchone() == (0,)
