"""Caching and persisted results of task runs, against real files and the real store."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from headwater import flow, task
from headwater.cache_policies import DEFAULT, INPUTS, NO_CACHE
from headwater.exceptions import InvalidOptionError
from headwater.states import State
from headwater.tasks import task_input_hash

from .helpers import log_messages, task_runs_of


def test_inputs_policy_hits_across_flow_runs(headwater_home: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS)
    def double(x: int) -> int:
        calls.append(x)
        return x * 2

    @flow
    def pipeline() -> list[State]:
        return [double(1, return_state=True), double(1, return_state=True)]

    first = pipeline(return_state=True)
    states = first.result()
    assert [s.name for s in states] == ["Completed", "Cached"]
    assert [s.result() for s in states] == [2, 2]
    second = pipeline(return_state=True)
    assert [s.name for s in second.result()] == ["Cached", "Cached"]
    assert calls == [1]
    runs = task_runs_of(second.state_details.flow_run_id)
    assert {r.state.name for r in runs} == {"Cached"}
    assert all(r.result and r.cache_key == r.result["key"] for r in runs)
    assert (headwater_home / "storage" / runs[0].cache_key).is_file()


def test_default_policy_caches_within_a_flow_run_only() -> None:
    calls: list[int] = []

    @task(persist_result=True)
    def work(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> None:
        work(1)
        work(1)
        work(2)

    pipeline()
    assert calls == [1, 2]
    pipeline()
    assert calls == [1, 2, 1, 2]


def test_task_input_hash_and_defaults_count_as_inputs() -> None:
    calls: list[tuple[int, int]] = []

    @task(cache_key_fn=task_input_hash)
    def add(x: int, y: int = 1) -> int:
        calls.append((x, y))
        return x + y

    @flow
    def pipeline() -> list[int]:
        return [add(1), add(1, 1), add(1, y=1), add(1, 2)]

    assert pipeline() == [2, 2, 2, 3]
    assert pipeline() == [2, 2, 2, 3]
    assert calls == [(1, 1), (1, 2)]


def test_expiration_and_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    @task(cache_policy=INPUTS, cache_expiration=dt.timedelta(seconds=0.3))
    def short(x: int) -> int:
        calls.append("short")
        return x

    @task(cache_policy=INPUTS, refresh_cache=True)
    def always(x: int) -> int:
        calls.append("always")
        return x

    @task(cache_policy=INPUTS)
    def normal(x: int) -> int:
        calls.append("normal")
        return x

    @flow
    def pipeline() -> None:
        short(1)
        always(1)
        normal(1)

    pipeline()
    pipeline()
    assert calls.count("short") == 1 and calls.count("always") == 2
    time.sleep(0.35)
    pipeline()
    assert calls.count("short") == 2
    assert calls.count("normal") == 1
    monkeypatch.setenv("HEADWATER_RESULTS_REFRESH_CACHE", "true")
    pipeline()
    assert calls.count("normal") == 2


def test_unhashable_input_warns_and_runs_uncached() -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS)
    def use(x: int, lock: Any) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> list[State]:
        lock = threading.Lock()
        return [use(1, lock, return_state=True), use(1, lock, return_state=True)]

    state = pipeline(return_state=True)
    assert [s.name for s in state.result()] == ["Completed", "Completed"]
    assert calls == [1, 1]
    messages = log_messages(state.state_details.flow_run_id)
    assert any("Argument 'lock' of task 'use' cannot be hashed" in m for m in messages)


def test_corrupt_result_file_reruns_with_a_warning(headwater_home: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS)
    def work(x: int) -> int:
        calls.append(x)
        return x + 1

    @flow
    def pipeline() -> int:
        return work(1)

    pipeline()
    for path in (headwater_home / "storage").iterdir():
        if path.is_file():
            path.write_bytes(b"HWR1 {broken")
    state = pipeline(return_state=True)
    assert state.is_completed() and state.result() == 2
    assert calls == [1, 1]
    messages = log_messages(state.state_details.flow_run_id)
    assert any("is unreadable" in m and "running the task again" in m for m in messages)
    assert pipeline() == 2
    assert calls == [1, 1]  # the rewritten file is good again


def test_result_storage_key_template_and_serializer(tmp_path: Path) -> None:
    @task(
        result_storage=tmp_path / "results",
        result_serializer="json",
        result_storage_key="{parameters[name]}-{task_run.id}",
    )
    def greet(name: str) -> dict[str, str]:
        return {"hello": name}

    seen: list[State] = []

    @flow
    def pipeline() -> None:
        seen.append(greet("ada", return_state=True))

    pipeline()
    run_id = seen[0].state_details.task_run_id
    path = tmp_path / "results" / f"ada-{run_id}"
    assert path.is_file()
    assert b'"serializer":"json"' in path.read_bytes()
    assert path.read_bytes().endswith(b'{"hello":"ada"}')


def test_result_not_kept_in_memory_is_read_back() -> None:
    @task(persist_result=True, cache_policy=NO_CACHE, cache_result_in_memory=False)
    def make(i: int) -> list[int]:
        return list(range(i))

    @flow
    def pipeline() -> list[int]:
        future = make.submit(5)
        state = future.wait_state()
        assert not state.has_data and state.state_details.result_ref
        return future.result()

    assert pipeline() == [0, 1, 2, 3, 4]


def test_memory_storage_and_async_tasks() -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS, result_storage="memory://hw-async-results")
    async def fetch(x: int) -> int:
        calls.append(x)
        return x * 3

    @flow
    async def pipeline() -> list[int]:
        return [await fetch(2), await fetch(2)]

    import asyncio

    assert asyncio.run(pipeline()) == [6, 6]
    assert calls == [2]


def test_flow_persist_result_reaches_its_tasks_and_its_own_result() -> None:
    from headwater import get_client

    @task
    def part(x: int) -> int:
        return x

    @flow(persist_result=True)
    def pipeline() -> int:
        return part(1) + part(2)

    state = pipeline(return_state=True)
    run = get_client().read_flow_run(state.state_details.flow_run_id)
    assert run.state.state_details.result_ref is not None
    assert run.state.result() == 3
    runs = task_runs_of(run.id)
    assert all(r.result is not None for r in runs)
    assert sorted(get_client().read_task_run(r.id).state.result() for r in runs) == [1, 2]


def test_plain_tasks_keep_no_result_records() -> None:
    @task
    def part(x: int) -> int:
        return x

    @flow
    def pipeline() -> int:
        return part(1)

    state = pipeline(return_state=True)
    assert task_runs_of(state.state_details.flow_run_id)[0].result is None
    assert state.state_details.result_ref is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cache_expiration": 3600}, "cache_expiration must be a datetime.timedelta"),
        ({"cache_expiration": dt.timedelta(0)}, "cache_expiration must be positive"),
        ({"cache_policy": "inputs"}, "cache_policy must be a cache policy"),
        ({"cache_policy": INPUTS, "cache_key_fn": task_input_hash}, "not both"),
        ({"cache_key_fn": 3}, "cache_key_fn must be callable"),
        ({"persist_result": False, "cache_policy": DEFAULT}, "caching needs a persisted result"),
        ({"result_serializer": "yaml"}, "unknown result serializer"),
        ({"result_storage": "gs://bucket/x"}, "pip install gcsfs"),  # s3fs is a dev extra
        ({"result_storage_key": ""}, "result_storage_key must be a non-empty string"),
        ({"refresh_cache": "yes"}, "refresh_cache must be True or False"),
    ],
)
def test_bad_options_fail_at_decoration(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message) as info:

        @task(**options)
        def t() -> None: ...

    assert "\n" not in str(info.value)
    assert str(info.value).startswith("@task 't': ")


def test_bad_flow_options_fail_at_decoration() -> None:
    with pytest.raises(InvalidOptionError, match="@flow 'f': unknown result serializer"):

        @flow(result_serializer="xml")
        def f() -> None: ...

    with pytest.raises(InvalidOptionError, match="persist_result must be True or False"):

        @flow(persist_result="yes")
        def g() -> None: ...


def test_process_pool_tasks_follow_the_flows_result_settings(tmp_path: Path) -> None:
    from headwater.task_runners import ProcessPoolTaskRunner

    @task
    def square(x: int) -> int:
        return x * x

    @flow(
        persist_result=True,
        result_storage=tmp_path / "pool",
        task_runner=ProcessPoolTaskRunner(max_workers=1),
    )
    def pipeline() -> int:
        return square.submit(4).result()

    state = pipeline(return_state=True)
    assert state.result() == 16
    (run,) = task_runs_of(state.state_details.flow_run_id)
    assert run.result is not None and run.result["storage"] == (tmp_path / "pool").as_uri()
    assert (tmp_path / "pool" / run.result["key"]).is_file()


def test_prefect_style_cache_key_fn_sees_the_task_run() -> None:
    seen: list[Any] = []

    def per_flow_run(context: Any, arguments: dict[str, Any]) -> str:
        seen.append(context.task_run.flow_run_id)
        return f"{context.task_run.flow_run_id}-{arguments['x']}"

    calls: list[int] = []

    @task(cache_key_fn=per_flow_run)
    def work(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def pipeline() -> list[int]:
        return [work(1), work(1)]

    assert pipeline() == [1, 1]
    assert calls == [1] and seen[0] is not None and seen[0] == seen[1]


def test_a_failing_storage_key_template_fails_the_task_run() -> None:
    @task(result_storage_key="{parameters[missing]}", retries=2)
    def work(x: int) -> int:
        return x

    @flow
    def pipeline() -> State:
        return work(1, return_state=True)

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert "result_storage_key '{parameters[missing]}' failed" in (state.message or "")
    (run,) = task_runs_of(state.state_details.flow_run_id)
    assert run.state.is_failed() and run.run_count == 1
