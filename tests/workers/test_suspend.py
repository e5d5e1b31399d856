"""suspend_flow_run on a real worker process against a real server: the flow's
process ends, the run is resumed with input and run again by the worker, its
completed task is not run again; a suspension not resumed in time ends Failed."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from headwater.client import get_client
from headwater.exceptions import ParameterValidationError
from headwater.schemas.work_pools import WorkPoolCreate
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, make_git_repo, worker

FLOWS = """
import pathlib
import threading
import time

from headwater import flow, task
from headwater.flow_runs import suspend_flow_run
from headwater.input import RunInput


class Go(RunInput):
    copies: int
    who: str = "ops"


@task
def first(marker: str) -> int:
    path = pathlib.Path(marker)
    path.write_text((path.read_text() if path.exists() else "") + "A")
    return 20


@task
def second(base: int, copies: int, who: str, marker: str) -> int:
    path = pathlib.Path(marker)
    path.write_text(path.read_text() + f" B={base + copies} by {who}")
    return base + copies


@flow(persist_result=True)
def approve(marker: str, timeout: int = 120) -> int:
    base = first(marker)
    answer = suspend_flow_run(wait_for_input=Go, timeout=timeout)
    return second(base, answer.copies, answer.who, marker)


def _wait_for_file(path: str) -> None:
    deadline = time.monotonic() + 60
    while not pathlib.Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@flow(persist_result=True)
def approve_late_exit(marker: str, gate: str) -> int:
    # a non-daemon thread keeps this attempt's process alive until ``gate`` exists
    threading.Thread(target=_wait_for_file, args=(gate,)).start()
    base = first(marker)
    answer = suspend_flow_run(wait_for_input=Go, timeout=120)
    _wait_for_file(gate + ".resumed")  # the second attempt stays Running until then
    return second(base, answer.copies, answer.who, marker)
"""


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("sqlite", FAST_ENV)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, server: ServerProcess) -> tuple[str, str]:
    """(pool, deployment name) of the ``approve`` flow, pulled from a git repository."""
    from headwater import flow

    repo = make_git_repo(tmp_path_factory.mktemp("suspend-repo"), {"flows.py": FLOWS})
    pool = f"suspend-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEADWATER_API_URL", server.api_url)
        with get_client() as client:
            client.create_work_pool(WorkPoolCreate(name=pool))
        deployed = flow.from_source(source=str(repo), entrypoint="flows.py:approve")
        deployed.deploy("suspend-test", work_pool_name=pool)
        late = flow.from_source(source=str(repo), entrypoint="flows.py:approve_late_exit")
        late.deploy("suspend-test", work_pool_name=pool)
    return pool, "approve/suspend-test"


@pytest.fixture(autouse=True)
def _talk_to_server(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)


def _wait_for(run_id: uuid.UUID, names: tuple[str, ...], timeout: float = 60.0):
    import time

    deadline = time.monotonic() + timeout
    with get_client() as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state.name in names:
                return run
            if run.state.is_final() or time.monotonic() > deadline:
                raise AssertionError(f"run is {run.state.name} ({run.state.message}), not {names}")
            time.sleep(0.1)


def _history(run_id: uuid.UUID) -> list[str]:
    with get_client() as client:
        return [s.name for s in client.read_flow_run_states(run_id)]


def test_suspend_ends_the_process_and_resume_reruns_without_the_completed_task(
    deployment: tuple[str, str], tmp_path: Path
) -> None:
    from headwater import run_deployment

    pool, name = deployment
    marker = tmp_path / "marker.txt"
    home = tmp_path / "w"
    with worker(home, os.environ["HEADWATER_API_URL"], pool) as proc:
        run = run_deployment(name, parameters={"marker": str(marker)}, timeout=0)
        suspended = _wait_for(run.id, ("Suspended",))
        assert suspended.state.type.value == "PAUSED"
        assert marker.read_text() == "A"
        # The flow's process ended, and the worker did not call it a crash.
        import time

        deadline = time.monotonic() + 30
        while f"flow run {run.id} suspended" not in proc.log():
            assert time.monotonic() < deadline, proc.log()
            time.sleep(0.1)
        with get_client() as client:
            assert client.read_flow_run(run.id).state.name == "Suspended"
            # Bad input is refused field by field; the run stays Suspended.
            with pytest.raises(ParameterValidationError) as refused:
                client.resume_flow_run(run.id, {"copies": "three", "who": 5})
            fields = {tuple(e["loc"]) for e in refused.value.errors}
            assert ("body", "run_input", "copies") in fields
            assert ("body", "run_input", "who") in fields
            assert client.read_flow_run(run.id).state.name == "Suspended"
            client.resume_flow_run(run.id, {"copies": 3, "who": "ana"})
        done = _wait_for(run.id, ("Completed",))
    assert marker.read_text() == "A B=23 by ana"  # A ran once; B used the input
    assert done.run_count == 2
    history = _history(run.id)
    assert "Suspended" in history and "Crashed" not in history and "Failed" not in history
    assert history.index("Suspended") < history.index("Scheduled", history.index("Suspended"))


def test_a_suspended_run_not_resumed_in_time_ends_failed(
    deployment: tuple[str, str], tmp_path: Path
) -> None:
    from headwater import run_deployment

    pool, name = deployment
    marker = tmp_path / "marker.txt"
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment(name, parameters={"marker": str(marker), "timeout": 1}, timeout=0)
        _wait_for(run.id, ("Suspended",))
        failed = _wait_for(run.id, ("Failed",), timeout=30)
    assert "not resumed before its timeout" in (failed.state.message or "")
    assert marker.read_text() == "A"


def test_a_run_resumed_before_the_worker_saw_its_process_end_is_not_crashed(
    deployment: tuple[str, str], tmp_path: Path
) -> None:
    """The suspended attempt's process outlives the suspension (until ``gate`` exists):
    the run is resumed and its second attempt is Running when the old process ends,
    and that end must not crash the new attempt (it did: the worker saw a Running run
    whose process had exited)."""
    import time

    from headwater import run_deployment

    pool, _ = deployment
    marker, gate = tmp_path / "marker.txt", tmp_path / "gate"
    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool) as proc:
        run = run_deployment(
            "approve-late-exit/suspend-test",
            parameters={"marker": str(marker), "gate": str(gate)},
            timeout=0,
        )
        _wait_for(run.id, ("Suspended",))
        with get_client() as client:
            client.resume_flow_run(run.id, {"copies": 1})
            deadline = time.monotonic() + 60
            while client.read_flow_run(run.id).run_count < 2:
                assert time.monotonic() < deadline, (_history(run.id), proc.log())
                time.sleep(0.1)
        gate.touch()  # the first attempt's process ends now
        while "not crashing it" not in proc.log() and f"{run.id} crashed" not in proc.log():
            assert time.monotonic() < deadline, (_history(run.id), proc.log())
            time.sleep(0.1)
        assert "Crashed" not in _history(run.id), proc.log()
        (tmp_path / "gate.resumed").touch()
        done = _wait_for(run.id, ("Completed",))
    assert done.run_count == 2
    assert "Crashed" not in _history(run.id)
    assert marker.read_text() == "A B=21 by ops"
