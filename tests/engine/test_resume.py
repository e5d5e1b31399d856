"""Re-running a failed flow run in place from where it failed (real scripts, real store)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from uuid import UUID

import pytest

from headwater import get_client
from headwater.launch.runs import RetryError, retry_flow_run
from headwater.states import Scheduled

from .helpers import task_runs_of

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from headwater import flow, get_run_context, task

    HERE = os.path.dirname(os.path.abspath(__file__))

    def note(line):
        with open(os.path.join(HERE, "calls.log"), "a") as handle:
            handle.write(line + "\\n")

    @task(persist_result=True)
    def step(i: int) -> int:
        note(f"step {i}")
        if os.path.exists(os.path.join(HERE, f"fail-{i}")):
            raise ValueError(f"step {i} failed")
        return i * 10

    @task
    def plain(i: int) -> int:
        note(f"plain {i}")
        return i

    @flow(persist_result=True)
    def child(k: int) -> int:
        note(f"child {k}")
        return step(100 + k) + step(200 + k)

    @flow
    def pipeline(n: int = 2) -> int:
        with open(os.path.join(HERE, "run.id"), "w") as handle:
            handle.write(str(get_run_context().flow_run_id))
        total = child(1) + child(2)
        for i in range(n):
            total += step(i) + plain(i)
        return total

    if __name__ == "__main__":
        pipeline(n=int(sys.argv[1]))
    """
)


def _run_script(tmp_path: Path, n: int = 3) -> UUID:
    script = tmp_path / "etl.py"
    script.write_text(SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), str(n)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0, "the first run was meant to fail"
    return UUID((tmp_path / "run.id").read_text())


def _calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls.log").read_text().splitlines()


def test_retry_skips_persisted_tasks_and_reruns_the_rest(tmp_path: Path) -> None:
    (tmp_path / "fail-1").touch()
    run_id = _run_script(tmp_path)
    client = get_client()
    failed = client.read_flow_run(run_id)
    assert failed.state.is_failed() and failed.entrypoint.endswith("etl.py:pipeline")
    assert failed.parameters == {"n": 3}
    (tmp_path / "calls.log").write_text("")
    (tmp_path / "fail-1").unlink()

    state = retry_flow_run(run_id, client=client)

    assert state.is_completed()
    assert state.result() == (101 + 201 + 102 + 202) * 10 + (0 + 10 + 20) + (0 + 1 + 2)
    # Completed and persisted before the failure: not run again (children included).
    assert _calls(tmp_path) == ["plain 0", "step 1", "plain 1", "step 2", "plain 2"]
    run = client.read_flow_run(run_id)
    assert run.run_count == 2 and run.state.is_completed()
    latest = [r for r in task_runs_of(run_id) if r.flow_run_attempt == 2]
    names = {r.name: r.state.name for r in latest}
    assert names["step-0"] == "Cached" and names["child-0"] == "Cached"
    assert names["step-1"] == "Completed" and names["plain-0"] == "Completed"
    history = [s.name for s in client.read_flow_run_states(run_id)]
    assert history[-3:] == ["AwaitingRetry", "Retrying", "Completed"]


def test_failed_subflow_is_resumed_in_place(tmp_path: Path) -> None:
    (tmp_path / "fail-202").touch()
    run_id = _run_script(tmp_path, n=1)
    client = get_client()
    children = [r for r in task_runs_of(run_id) if r.task_key.startswith("subflow-")]
    failed_child = UUID(str(children[1].inputs["__subflow_run__"][0]))
    assert client.read_flow_run(failed_child).state.is_failed()
    (tmp_path / "calls.log").write_text("")
    (tmp_path / "fail-202").unlink()

    assert retry_flow_run(run_id, client=client).is_completed()

    # child 1 completed (persisted): skipped whole; child 2 resumed: step 102 reused.
    assert _calls(tmp_path) == ["child 2", "step 202", "step 0", "plain 0"]
    resumed = client.read_flow_run(failed_child)
    assert resumed.state.is_completed() and resumed.run_count == 2
    assert resumed.state.result() == 1020 + 2020


def test_refusals_are_one_line(tmp_path: Path) -> None:
    client = get_client()
    (tmp_path / "fail-0").touch()
    run_id = _run_script(tmp_path, n=1)
    (tmp_path / "fail-0").unlink()
    assert retry_flow_run(run_id, client=client).is_completed()
    with pytest.raises(RetryError, match="is Completed; only Failed or Crashed runs"):
        retry_flow_run(run_id, client=client)
    with pytest.raises(RetryError, match="not found"):
        retry_flow_run(UUID(int=1), client=client)

    from headwater import flow

    @flow
    def local() -> None:
        raise ValueError("x")

    state = local(return_state=True)
    with pytest.raises(RetryError, match="has no entrypoint"):
        retry_flow_run(state.state_details.flow_run_id, client=client)


def test_unstored_parameters_cannot_be_retried(tmp_path: Path) -> None:
    script = tmp_path / "objs.py"
    script.write_text(
        textwrap.dedent(
            """
            from headwater import flow

            class Thing:
                pass

            @flow
            def uses(thing) -> None:
                raise ValueError("no")

            if __name__ == "__main__":
                uses(Thing())
            """
        )
    )
    subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    run = get_client().read_flow_runs(limit=1)[0]
    with pytest.raises(RetryError, match="parameter\\(s\\) 'thing' could not be stored"):
        retry_flow_run(run.id)


def test_engine_main_runs_a_scheduled_run_by_id(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text(
        textwrap.dedent(
            """
            from headwater import flow

            @flow(persist_result=True)
            def hello(name: str = "world") -> str:
                return f"hello {name}"
            """
        )
    )
    client = get_client()
    run_id = UUID(int=0x1234)
    client.create_flow_run(
        {
            "id": run_id,
            "flow_name": "hello",
            "name": "by-id",
            "parameters": {"name": "ada"},
            "entrypoint": f"{script}:hello",
        },
        Scheduled(),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "headwater.engine", str(run_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    run = client.read_flow_run(run_id)
    assert run.state.is_completed() and run.run_count == 1
    assert run.state.result() == "hello ada"
    again = subprocess.run(
        [sys.executable, "-m", "headwater.engine", str(run_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1 and "only Scheduled or Pending runs" in again.stderr
