"""Prefect's ``get_client()``: async and sync, Prefect's filters, on both transports."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headwater import flow, get_run_logger, task
from headwater.client import get_client
from headwater.client.filter_translation import UnsupportedFilterError
from headwater.client.schemas.actions import VariableCreate, VariableUpdate, WorkPoolCreate
from headwater.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterParentTaskRunId,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterLevel,
    LogFilterTaskRunId,
    Operator,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
    TaskRunFilterState,
    TaskRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from headwater.client.schemas.objects import StateType
from headwater.client.schemas.sorting import FlowRunSort, LogSort
from headwater.client.writer import flush_all
from headwater.context import tags
from headwater.exceptions import ObjectAlreadyExists, ObjectNotFound
from headwater.states import Cancelled
from tests._servers import ServerProcess


@pytest.fixture
def on_store(database_url: str) -> str:
    """The embedded store (SQLite, and PostgreSQL when configured)."""
    return database_url


@pytest.fixture
def on_server(api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real server process (SQLite, and PostgreSQL when configured)."""
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    yield api_server.api_url


@task
def step(i: int) -> int:
    if i == 2:
        raise ValueError("bad row")
    return i


@flow(flow_run_name="orch-{n}")
def orchestrated(n: int) -> int:
    get_run_logger().warning("warned %s", n)
    for i in range(3):
        step(i, return_state=True)
    if n == 2:
        raise RuntimeError("boom")
    return n


@flow
def outer() -> int:
    return orchestrated(1)


def _run_all(mark: str) -> dict[int, Any]:
    """Runs everything under the tag ``mark``: a shared server holds other tests' runs too."""
    with tags(mark):
        states = {n: orchestrated(n, return_state=True) for n in (1, 2)}
        with tags("nightly"):
            states[3] = orchestrated(3, return_state=True)
        outer()
    flush_all()
    return states


def test_async_client_reads_with_prefect_filters_on_the_store(on_store: str) -> None:
    _check_reads()


def test_async_client_reads_with_prefect_filters_on_a_server(on_server: str) -> None:
    _check_reads()


def _check_reads() -> None:
    mark = f"reads-{uuid.uuid4().hex[:8]}"
    states = _run_all(mark)
    ours = FlowRunFilterTags(all_=[mark])
    failed_id = states[2].state_details.flow_run_id

    async def read() -> dict[str, Any]:
        async with get_client() as client:
            failed = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["orchestrated"])),
                flow_run_filter=FlowRunFilter(
                    tags=ours,
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED])),
                ),
            )
            not_failed = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    tags=ours,
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(not_any_=[StateType.FAILED])
                    ),
                    parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True),
                ),
                sort=FlowRunSort.NAME_ASC,
            )
            tagged = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[mark, "nightly"]))
            )
            by_name = await client.count_flow_runs(
                flow_run_filter=FlowRunFilter(
                    tags=ours, name=FlowRunFilterName(any_=["orch-1", "orch-3"])
                )
            )
            failed_tasks = await client.read_task_runs(
                task_run_filter=TaskRunFilter(
                    flow_run_id=TaskRunFilterFlowRunId(any_=[failed_id]),
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.FAILED])),
                )
            )
            logs = await client.read_logs(
                log_filter=LogFilter(
                    flow_run_id=LogFilterFlowRunId(any_=[failed_id]),
                    task_run_id=LogFilterTaskRunId(is_null_=True),
                    level=LogFilterLevel(ge_=30, le_=30),
                ),
                sort=LogSort.TIMESTAMP_DESC,
                limit=1,
            )
            run = await client.read_flow_run(failed_id)
            return {
                "failed": failed,
                "not_failed": not_failed,
                "tagged": tagged,
                "by_name": by_name,
                "failed_tasks": failed_tasks,
                "logs": logs,
                "run": run,
            }

    seen = asyncio.run(read())
    assert [r.id for r in seen["failed"]] == [failed_id]
    names = [r.name for r in seen["not_failed"]]  # orch-1, orch-3 and outer's run
    assert len(names) == 3 and names == sorted(names)
    assert [n for n in names if n.startswith("orch-")] == ["orch-1", "orch-3"]
    assert all(r.parent_task_run_id is None for r in seen["not_failed"])
    assert [r.name for r in seen["tagged"]] == ["orch-3"]
    assert seen["by_name"] == 3  # orch-1 twice (once as a subflow), orch-3
    assert [t.name for t in seen["failed_tasks"]] == ["step-2"]
    assert [log.message for log in seen["logs"]] == ["warned 2"]
    assert seen["run"].state_type == StateType.FAILED and seen["run"].state.is_failed()


def test_sync_client_admin_on_the_store(on_store: str) -> None:
    _check_admin()


def test_sync_client_admin_on_a_server(on_server: str) -> None:
    _check_admin()


def _check_admin() -> None:
    _run_all(f"admin-{uuid.uuid4().hex[:8]}")
    with get_client(sync_client=True) as client:
        assert client.hello().status_code == 200
        assert [
            f.name
            for f in client.read_flows(flow_filter=FlowFilter(name=FlowFilterName(like_="ORCH")))
        ] == ["orchestrated"]
        created = client.create_variable(VariableCreate(name="batch_size", value=5))
        assert created.value == 5
        with pytest.raises(ObjectAlreadyExists):
            client.create_variable(VariableCreate(name="batch_size", value=6))
        client.update_variable(VariableUpdate(name="batch_size", value=7))
        assert client.read_variable_by_name("batch_size").value == 7
        client.delete_variable_by_name("batch_size")
        assert client.read_variable_by_name("batch_size") is None

        client.create_work_pool(WorkPoolCreate(name="pool-a"))
        client.create_work_pool(WorkPoolCreate(name="pool-b"))
        with pytest.raises(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name="pool-a"))
        client.create_work_pool(WorkPoolCreate(name="pool-a", description="again"), overwrite=True)
        pools = client.read_work_pools(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=["pool-a"]))
        )
        assert [(p.name, p.description) for p in pools] == [("pool-a", "again")]

        run = client.read_flow_runs(limit=1)[0]
        client.delete_flow_run(str(run.id))
        with pytest.raises(ObjectNotFound):
            client.read_flow_run(run.id)


def test_deployment_runs_on_the_store(on_store: str) -> None:
    _check_deployments()


def test_deployment_runs_on_a_server(on_server: str) -> None:
    _check_deployments()


def _check_deployments() -> None:
    # a name of its own: other tests leave deployments called "nightly" on shared servers
    name = f"nightly-{uuid.uuid4().hex[:8]}"
    deployment_id = orchestrated.to_deployment(name=name, parameters={"n": 1}).apply()

    async def go() -> Any:
        async with get_client() as client:
            found = await client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
            )
            assert [d.id for d in found] == [deployment_id]
            run = await client.create_flow_run_from_deployment(
                deployment_id, parameters={"n": 3}, tags=["manual"]
            )
            assert run.state.is_scheduled() and run.parameters == {"n": 3}
            scheduled = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Scheduled"]))
                ),
            )
            assert [r.id for r in scheduled] == [run.id]
            result = await client.set_flow_run_state(run.id, Cancelled(message="not needed"))
            assert result.state.is_cancelled()
            return await client.read_deployment_by_name(f"orchestrated/{name}")

    assert asyncio.run(go()).id == deployment_id


def test_async_client_inside_an_async_flow() -> None:
    @flow
    async def count_runs() -> int:
        async with get_client() as client:
            return len(await client.read_flow_runs())

    orchestrated(1)
    assert asyncio.run(count_runs()) == 2  # the earlier run and this one


def test_plain_get_client_keeps_headwater_methods() -> None:
    from headwater.schemas.filters import FlowRunFilter as StoreFilter

    orchestrated(1)
    flush_all()
    client = get_client()
    runs = client.read_flow_runs(flow_run_filter=StoreFilter(flow_names=["orchestrated"]))
    assert len(runs) == 1
    assert client.read_flow_run_states(runs[0].id)[-1].is_completed()
    client.close()


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"flow_run_filter": FlowRunFilter(operator=Operator.or_)}, "operator=or_"),
        ({"task_run_filter": TaskRunFilter()}, "task_run_filter"),
        ({"sort": FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC}, "NEXT_SCHEDULED_START_TIME_ASC"),
    ],
)
def test_unsupported_criteria_fail_in_one_line(kwargs: dict[str, Any], named: str) -> None:
    with get_client() as client, pytest.raises(UnsupportedFilterError) as caught:
        client.read_flow_runs(**kwargs)
    assert named in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_ids_may_be_strings() -> None:
    with get_client() as client, pytest.raises(ObjectNotFound):
        client.read_flow_run(str(uuid.uuid4()))


def test_a_flow_may_delete_runs_that_just_finished() -> None:
    """Their last log lines may still be queued: they are written before the delete."""

    @flow
    async def cleanup() -> int:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.COMPLETED])
                    )
                )
            )
            for run in runs:
                await client.delete_flow_run(run.id)
            return len(runs)

    for n in (1, 3):
        orchestrated(n)
    state = asyncio.run(cleanup(return_state=True))
    assert state.is_completed() and state.result() == 2
