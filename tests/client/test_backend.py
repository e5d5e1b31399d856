"""With HEADWATER_API_URL set, flows report to the server (both stores)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from headwater import flow, get_run_logger, task
from headwater.client.backend import get_backend
from headwater.client.http import HttpClient
from headwater.client.writer import flush_all
from headwater.schemas.filters import FlowRunFilter, LogFilter, TaskRunFilter
from tests._servers import ServerProcess


@pytest.fixture
def server_env(api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpClient]:
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    with HttpClient(api_server.api_url) as client:
        yield client


def test_backend_is_keyed_by_the_api_url(server_env: HttpClient) -> None:
    backend = get_backend()
    assert backend.key == f"api:{server_env.api_url}"
    assert isinstance(backend.client, HttpClient)


def test_flow_with_tasks_logs_subflow_and_retry(server_env: HttpClient) -> None:
    name = f"served-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    @task
    def square(x: int) -> int:
        get_run_logger().info("square %d", x)
        return x * x

    @flow(name=f"{name}-child")
    def child(n: int) -> int:
        return sum(f.result() for f in square.map(range(n)))

    @flow(name=name, retries=1)
    def parent(n: int) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")
        return child(n) + square(n)

    assert parent(5) == 30 + 25
    flush_all()
    client = server_env
    (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[name]))
    assert run.state.is_completed() and run.run_count == 2
    names = [s.name for s in client.read_flow_run_states(run.id)]
    assert names == ["Running", "AwaitingRetry", "Retrying", "Completed"]
    (sub,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(parent_flow_run_id=run.id))
    assert sub.state.is_completed()
    sub_tasks = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[sub.id]))
    assert len(sub_tasks) == 5 and all(t.state.is_completed() for t in sub_tasks)
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=sub.id), limit=1000)
    assert {f"square {i}" for i in range(5)} <= {log.message for log in logs}
