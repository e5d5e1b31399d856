"""Prefect 1 flows run on Headwater's engine: results, states, and run records."""

from __future__ import annotations

import pytest

from headwater.client import get_client
from headwater.schemas.filters import FlowRunFilter, TaskRunFilter
from headwater.v1.engine import state as v1
from tests.v1 import corpus


def _task_runs(flow_name: str) -> tuple[object, list[object]]:
    with get_client() as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[flow_name]))
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run.id]))
    return run, runs


def test_push_pull_passes_values_and_records_a_flow_run_with_task_runs() -> None:
    flow, t = corpus.push_pull()
    state = flow.run(parameters={"day": "2024-05-06"})
    assert state.is_successful()
    assert isinstance(state, v1.Success)
    assert state.message == "All reference tasks succeeded."
    assert state.result[t["push"]].result == {"rows": 3, "day": "2024-05-06"}
    assert state.result[t["pull"]].result == "3 rows on 2024-05-06"
    assert state.result[t["day"]].result == "2024-05-06"
    run, task_runs = _task_runs("v1-push-pull")
    assert run.state.name == "Completed"
    assert run.parameters == {"day": "2024-05-06"}
    assert sorted(r.name.rsplit("-", 1)[0] for r in task_runs) == ["pull", "push"]
    assert {r.state.name for r in task_runs} == {"Completed"}


def test_triggers_and_reference_tasks_decide_the_flow_state() -> None:
    flow, t = corpus.triggers_and_reference()
    ok = flow.run()
    assert ok.is_successful()
    assert ok.result[t["load"]].result == 2
    assert isinstance(ok.result[t["alert"]], v1.TriggerFailed)
    assert ok.result[t["cleanup"]].result == "cleaned"

    bad = flow.run(parameters={"limit": 9})
    assert bad.is_failed() and bad.message == "Some reference tasks failed."
    load = bad.result[t["load"]]
    assert isinstance(load, v1.Failed) and isinstance(load.result, ValueError)
    assert bad.result[t["alert"]].result == "paged"
    assert bad.result[t["cleanup"]].result == "cleaned"


def test_a_mapped_flow_with_a_failing_item_runs_cleanup_and_fails() -> None:
    flow, t = corpus.mapped_with_failure()
    state = flow.run()
    square = state.result[t["square"]]
    assert isinstance(square, v1.Mapped)
    assert [type(s).__name__ for s in square.map_states] == [
        "Success",
        "Success",
        "Failed",
        "Success",
    ]
    assert square.result[:2] == [10, 11]
    plus = state.result[t["add_one"]]
    assert [type(s).__name__ for s in plus.map_states] == [
        "Success",
        "Success",
        "TriggerFailed",
        "Success",
    ]
    assert isinstance(state.result[t["total"]], v1.TriggerFailed)
    assert state.result[t["cleanup"]].result == 3
    # terminal tasks are total (trigger failed) and cleanup: the flow fails
    assert state.is_failed()
    run, task_runs = _task_runs("v1-mapped")
    assert run.state.name == "Failed"
    names = sorted(r.state.name for r in task_runs)
    assert names.count("Failed") == 1 and names.count("TriggerFailed") == 2


def test_case_and_merge_take_one_branch_and_skip_the_other() -> None:
    flow, t = corpus.case_merge()
    small = flow.run(parameters={"x": 3})
    assert small.is_successful()
    assert isinstance(small.result[t["big"]], v1.Skipped)
    assert small.result[t["small"]].result == "small 3"
    assert small.result[t["report"]].result == "SMALL 3"
    big = flow.run(parameters={"x": 30})
    assert isinstance(big.result[t["small"]], v1.Skipped)
    assert big.result[t["report"]].result == "BIG 30"


def test_signals_retries_loops_flatten_context_and_handlers() -> None:
    attempts: list[int] = []
    flow, t = corpus.signals_retries_context(attempts)
    state = flow.run()
    r = state.result
    assert r[t["flaky"]].result == "third time" and len(attempts) == 3
    assert [s[2] for s in t["seen"]] == [
        "Running",
        "Retrying",
        "Running",
        "Retrying",
        "Running",
        "Success",
    ]
    assert isinstance(r[t["maybe_skip"]], v1.Skipped)
    assert r[t["maybe_skip"]].message == "nothing to do today"
    assert isinstance(r[t["after_skip"]], v1.Skipped)
    assert r[t["countdown"]].result == 3
    assert r[t["early_ref"]].result == 42 and r[t["early_ref"]].message == "done early"
    assert isinstance(r[t["ends"]], v1.Failed) and r[t["ends"]].message == "stopped"
    assert r[t["flat"]].result == [2, 3, 4]
    assert r[t["times3"]].result == 6
    info = r[t["names"]].result
    assert info["flow"] == "v1-signals" and info["task"] == "names" and info["has_logger"]
    assert len(info["today"]) == 10
    assert r[t["combined"]].result == 1 + 2 + 6 + 2
    # ends (ENDRUN Failed) is terminal but not a reference task: the flow succeeds
    assert state.is_successful(), state.message


def test_retries_show_in_the_task_run_record() -> None:
    attempts: list[int] = []
    flow, _ = corpus.signals_retries_context(attempts)
    flow.run(parameters={"skip": False})
    _, task_runs = _task_runs("v1-signals")
    (flaky,) = [r for r in task_runs if r.name.startswith("flaky")]
    assert flaky.run_count == 3 and flaky.state.name == "Completed"


def test_threads_executor_gives_the_same_results() -> None:
    from headwater.v1.executors import LocalDaskExecutor

    flow, t = corpus.mapped_with_failure()
    state = flow.run(executor=LocalDaskExecutor(num_workers=4))
    assert state.result[t["cleanup"]].result == 3
    assert [type(s).__name__ for s in state.result[t["square"]].map_states] == [
        "Success",
        "Success",
        "Failed",
        "Success",
    ]


def test_unknown_and_missing_parameters_are_one_line_errors() -> None:
    from headwater.v1 import Flow, Parameter, task
    from headwater.v1.exceptions import V1GraphError

    @task
    def echo(x: int) -> int:
        return x

    with Flow("v1-params") as flow:
        echo(Parameter("needed"))
    with pytest.raises(V1GraphError, match="did not receive required parameters: needed"):
        flow.run()
    with pytest.raises(V1GraphError, match="unexpected parameters: nope"):
        flow.run(parameters={"needed": 1, "nope": 2})


@pytest.mark.usefixtures("api_server")
def test_flows_run_against_a_server_are_recorded_there(
    api_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    flow, t = corpus.case_merge()
    flow.name = f"v1-case-{id(flow)}"
    state = flow.run(parameters={"x": 30})
    assert state.result[t["report"]].result == "BIG 30"
    run, task_runs = _task_runs(flow.name)
    assert run.state.name == "Completed"
    by_state = sorted(r.state.name for r in task_runs)
    assert "Skipped" in by_state and by_state.count("Completed") >= 4
    # the same UI shows them: the flow run's page lists its v1 task runs
    import httpx

    page = httpx.get(f"{api_server.url}/flow-runs/{run.id}", timeout=30)
    assert page.status_code == 200
    for name in ("is_big", "big", "Merge", "report"):
        assert name in page.text


def test_dask_executor_runs_tasks_on_a_dask_cluster() -> None:
    pytest.importorskip("distributed")
    from headwater.v1.executors import DaskExecutor

    executor = DaskExecutor(cluster_kwargs={"n_workers": 1, "processes": False})
    flow, t = corpus.mapped_with_failure()
    state = flow.run(executor=executor)
    assert state.result[t["cleanup"]].result == 3
    assert [type(s).__name__ for s in state.result[t["add_one"]].map_states] == [
        "Success",
        "Success",
        "TriggerFailed",
        "Success",
    ]
    flow, t = corpus.case_merge()
    state = flow.run(parameters={"x": 3}, executor=executor)
    assert isinstance(state.result[t["big"]], v1.Skipped)
    assert state.result[t["report"]].result == "SMALL 3"
