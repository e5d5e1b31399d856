"""headwater.artifacts: the Prefect-named functions inside flows, tasks and outside any
run, keyed history, progress updates, bad input."""

from __future__ import annotations

import asyncio
import math

import pytest

from headwater import flow, task
from headwater.artifacts import (
    Artifact,
    ArtifactError,
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from headwater.client import get_client
from headwater.client.writer import flush_all
from headwater.schemas.artifacts import ArtifactFilter


def _read(**filters: object) -> list:
    flush_all()
    return get_client().read_artifacts(artifact_filter=ArtifactFilter(**filters))  # type: ignore[arg-type]


def test_artifacts_belong_to_their_flow_and_task_runs(database_url: str) -> None:
    @task
    def summarize(rows: list[dict]) -> int:
        create_table_artifact(rows, key="row-table", description="the rows")
        return len(rows)

    @flow
    def report() -> tuple[object, object]:
        count = summarize([{"a": 1, "b": float("nan")}, {"a": 2, "b": 3.5}])
        create_markdown_artifact(f"# {count} rows", key="report")
        create_link_artifact("https://example.com/x", link_text="the data", key="data-link")
        create_image_artifact("https://example.com/chart.png", key="chart")
        from headwater.context import FlowRunContext

        ctx = FlowRunContext.get()
        assert ctx is not None
        return ctx.flow_run_id, None

    state = report(return_state=True)
    assert state.is_completed()
    flow_run_id = state.result()[0]
    found = {a.key: a for a in _read(flow_run_id=flow_run_id)}
    assert set(found) == {"row-table", "report", "data-link", "chart"}
    table = found["row-table"]
    assert table.type == "table" and table.description == "the rows"
    assert table.data == [{"a": 1, "b": None}, {"a": 2, "b": 3.5}]  # NaN stored as null
    assert table.task_run_id is not None
    assert found["report"].data == "# 2 rows" and found["report"].task_run_id is None
    assert found["data-link"].data == "[the data](https://example.com/x)"
    assert found["chart"].data == "https://example.com/chart.png"
    task_runs = _read(task_run_id=table.task_run_id)
    assert [a.key for a in task_runs] == ["row-table"]


def test_keyed_artifacts_keep_history_outside_a_run(database_url: str) -> None:
    first = create_markdown_artifact("one", key="daily-report")
    second = create_markdown_artifact("two", key="daily-report")
    versions = _read(key="daily-report")
    assert [a.id for a in versions] == [second, first]
    assert all(a.flow_run_id is None for a in versions)
    latest = Artifact.get("daily-report")
    assert latest is not None and latest.data == "two"
    assert Artifact.get("no-such-key") is None


def test_progress_artifact_moves_forward(database_url: str) -> None:
    @flow
    def crunch() -> None:
        artifact_id = create_progress_artifact(0.0, key="crunch-progress")
        for step in (25, 50, 100):
            update_progress_artifact(artifact_id, step)

    crunch()
    (progress,) = _read(key="crunch-progress")
    assert progress.type == "progress" and progress.data == 100.0


def test_artifact_class_and_table_shapes(database_url: str) -> None:
    Artifact(type="table", key="cols", data={"x": [1, 2], "y": [3, math.inf]}).create()
    Artifact(type="markdown", key="md", data="**bold**", description="d").create()
    create_table_artifact([[1, 2], [3, 4]], key="lists")
    by_key = {a.key: a for a in _read()}
    assert by_key["cols"].data == {"x": [1, 2], "y": [3, None]}
    assert by_key["md"].data == "**bold**" and by_key["md"].description == "d"
    assert by_key["lists"].data == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: create_markdown_artifact("x", key="Bad Key"), "artifact keys are 1-255"),
        (lambda: create_markdown_artifact("x", key="k" * 256), "artifact keys are 1-255"),
        (lambda: create_progress_artifact(101), "from 0 to 100"),
        (lambda: create_progress_artifact("lots"), "from 0 to 100"),
        (lambda: create_table_artifact("not a table"), "a table is a list of dicts"),
        (lambda: create_table_artifact({"a": 1}), "maps each column name to a list"),
        (lambda: Artifact(type="chart", data=1), "artifact type 'chart' is not one of"),
    ],
)
def test_bad_input_is_one_clear_error(database_url: str, call: object, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        call()  # type: ignore[operator]


def test_async_flows_await_the_functions(database_url: str) -> None:
    @flow
    async def publish() -> None:
        await create_markdown_artifact("from async", key="async-md")

    asyncio.run(publish())
    (found,) = _read(key="async-md")
    assert found.data == "from async" and found.flow_run_id is not None
