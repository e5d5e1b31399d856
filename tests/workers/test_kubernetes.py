"""The kubernetes worker end to end: a real ``headwater worker start --type kubernetes``
process and a real server on loopback, against the fake Kubernetes API of
``_fake_kube`` (no cluster exists here), whose pods really run the engine.  Runs
complete, a failing pod and a pod that never starts are Crashed with the reason, a
run past its job watch timeout is Crashed, and cancellation (after a worker killed
with SIGKILL re-attached by label) deletes the Job with foreground propagation."""

from __future__ import annotations

import os
import signal
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.client import get_client
from headwater.schemas.filters import LogFilter
from headwater.schemas.work_pools import WorkPoolCreate
from headwater.states import Cancelling
from headwater.workers.kubernetes import KubernetesWorker
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, FLOWS, Process, deploy_from, worker
from tests.workers._fake_kube import FakeKube

kubernetes_validate = pytest.importorskip("kubernetes_validate")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SERVER_ENV = {**FAST_ENV, "HEADWATER_ZOMBIE_AFTER_SECONDS": "60"}
FINALS = ("Completed", "Crashed", "Failed", "Cancelled")


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("sqlite", SERVER_ENV)


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeKube]:
    fake = FakeKube(tmp_path_factory.mktemp("kube-home"))
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def flows_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kube-flows")
    (root / "flows.py").write_text(textwrap.dedent(FLOWS))
    return root


@pytest.fixture
def pool(server: ServerProcess, kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kubernetes pool whose Jobs go to the fake API and run image headwater-test."""
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    template = KubernetesWorker.default_base_job_template()
    defaults = template["variables"]["properties"]
    defaults["image"]["default"] = "headwater-test"
    defaults["cluster_config"]["default"] = kube.cluster_config()
    defaults["env"]["default"] = {
        "HEADWATER_HEARTBEAT_SECONDS": "0.5",
        "HEADWATER_LOGGING_CONSOLE": "true",
    }
    name = f"kube-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(
            WorkPoolCreate(name=name, type="kubernetes", base_job_template=template)
        )
    return name


def _wait(predicate: Any, timeout: float, what: str, process: Process | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}\n{process.log() if process else ''}")


def _state(run_id: Any) -> Any:
    with get_client() as client:
        return client.read_flow_run(run_id).state


def _logs(run_id: Any) -> str:
    with get_client() as client:
        found = client.read_logs(log_filter=LogFilter(flow_run_id=run_id))
    return "\n".join(log.message for log in found)


def _jobs_of(kube: FakeKube, run_id: Any) -> list[str]:
    with kube.cond:
        return [
            name
            for (_, name), job in kube.jobs.items()
            if job["metadata"]["labels"].get("headwater.io/flow-run-id") == str(run_id)
        ]


def _start_worker(tmp_path: Path, server: ServerProcess, pool: str, name: str) -> Process:
    return worker(tmp_path / name, server.api_url, pool, "--type", "kubernetes", name=name).start()


def test_runs_complete_and_failed_pods_crash(
    server: ServerProcess, kube: FakeKube, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    quick = run_deployment(
        deploy_from(
            flows_dir,
            pool,
            "quick",
            job_variables={"env": {"HW_TEST_ENV": "in-kube"}, "finished_job_ttl": 1},
        ),
        parameters={"x": 21},
        timeout=0,
    )
    failing = "python -c \"print('boom before the engine'); raise SystemExit(3)\""
    dies = run_deployment(
        deploy_from(flows_dir, pool, "quick", job_variables={"command": failing}), timeout=0
    )
    process = _start_worker(tmp_path, server, pool, "w1")
    try:
        _wait(lambda: _state(quick.id).name in FINALS, 120, "the quick run", process)
        _wait(lambda: _state(dies.id).name in FINALS, 120, "the failing pod", process)
        # the TTL controller deletes the finished Job of the run with finished_job_ttl
        _wait(lambda: not _jobs_of(kube, quick.id), 30, "the finished Job's TTL", process)
    finally:
        process.stop()
    assert _state(quick.id).name == "Completed", process.log()
    assert "quick got 21 (env in-kube)" in _logs(quick.id)
    crashed = _state(dies.id)
    assert crashed.name == "Crashed", process.log()
    assert "job exited with code 3" in (crashed.message or ""), process.log()
    assert "boom before the engine" in (crashed.message or "")
    assert _jobs_of(kube, dies.id), "a Job without finished_job_ttl is kept"
    # every Job the worker posted is valid against Kubernetes' own schema
    posted = [m for m in kube.created if m["metadata"]["labels"]["headwater.io/work-pool"] == pool]
    assert len(posted) == 2
    for manifest in posted:
        kubernetes_validate.validate(manifest, "1.30", strict=True)
    assert posted[0]["spec"]["backoffLimit"] == 0
    assert "[" + str(quick.id)[:8] + "]" in process.log(), "stream_output echoes the pod's log"


def test_pods_that_never_start_and_jobs_past_their_timeout_crash(
    server: ServerProcess, kube: FakeKube, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    unpullable = run_deployment(
        deploy_from(
            flows_dir,
            pool,
            "quick",
            job_variables={"image": "not-in-any-registry:1", "pod_watch_timeout_seconds": 2},
        ),
        timeout=0,
    )
    slow = run_deployment(
        deploy_from(flows_dir, pool, "sleepy", job_variables={"job_watch_timeout_seconds": 4}),
        parameters={"marker": str(tmp_path / "slow-marker"), "seconds": 120},
        timeout=0,
    )
    process = _start_worker(tmp_path, server, pool, "w1")
    try:
        _wait(lambda: _state(unpullable.id).name in FINALS, 60, "the unpullable run", process)
        _wait(lambda: _state(slow.id).name in FINALS, 120, "the slow run", process)
        _wait(lambda: not _jobs_of(kube, unpullable.id), 30, "the Job's deletion", process)
        _wait(lambda: not _jobs_of(kube, slow.id), 30, "the slow Job's deletion", process)
    finally:
        process.stop()
    state = _state(unpullable.id)
    assert state.name == "Crashed", process.log()
    assert "did not start within 2 s: ErrImagePull" in (state.message or "")
    state = _state(slow.id)
    assert state.name == "Crashed", process.log()
    assert "did not finish within 4 s" in (state.message or "")


def test_cancel_deletes_the_job_after_a_worker_restart(
    server: ServerProcess, kube: FakeKube, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    marker = tmp_path / "marker"
    run = run_deployment(
        deploy_from(flows_dir, pool, "sleepy"),
        parameters={"marker": str(marker), "seconds": 300},
        timeout=0,
    )
    first = _start_worker(tmp_path, server, pool, "w1")
    try:
        _wait(marker.exists, 120, "the run to start in its pod", first)
    finally:
        first.stop(signal.SIGKILL)
    (job_name,) = _jobs_of(kube, run.id)
    pid = int(marker.read_text())
    second = _start_worker(tmp_path, server, pool, "w2")
    try:
        _wait(lambda: "re-attached to flow run" in second.log(), 60, "re-attach", second)
        with get_client() as client:
            client.set_flow_run_state(run.id, Cancelling(), force=True)
        _wait(lambda: _state(run.id).name == "Cancelled", 60, "Cancelled", second)
    finally:
        second.stop()
    assert f"re-attached to flow run {run.id}" in second.log()
    deletes = [query for kind, name, query in kube.deletes if name == job_name]
    assert deletes and deletes[0].get("propagationPolicy") == "Foreground"
    # foreground deletion: the Job goes once its pod is gone (after the run is Cancelled)
    _wait(lambda: not _jobs_of(kube, run.id), 60, "the Job to be gone")
    with kube.cond:
        assert not [
            p for p in kube.pods.values() if p["metadata"]["labels"]["job-name"] == job_name
        ]
    _wait(lambda: not _alive(pid), 10, "the pod's process to end")


def test_a_pod_that_ignores_sigterm_is_deleted_without_grace(
    server: ServerProcess, kube: FakeKube, pool: str, flows_dir: Path, tmp_path: Path
) -> None:
    from headwater import run_deployment

    stubborn = (
        'python -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); '
        "print('ignoring SIGTERM', flush=True); time.sleep(300)\""
    )
    run = run_deployment(
        deploy_from(flows_dir, pool, "quick", job_variables={"command": stubborn}), timeout=0
    )
    process = _start_worker(tmp_path, server, pool, "w1")
    try:
        _wait(lambda: _jobs_of(kube, run.id), 60, "the Job", process)
        (job_name,) = _jobs_of(kube, run.id)

        def ignoring() -> bool:
            """Its process says it ignores SIGTERM (Running alone comes before Python
            started: a SIGTERM then would end it)."""
            with kube.cond:
                return any(
                    p["metadata"]["labels"]["job-name"] == job_name
                    and "ignoring SIGTERM" in kube.logs.get(key, [])
                    for key, p in kube.pods.items()
                )

        _wait(ignoring, 60, "the stubborn pod to ignore SIGTERM", process)
        with get_client() as client:
            client.set_flow_run_state(run.id, Cancelling(), force=True)
        _wait(lambda: _state(run.id).name in FINALS, 60, "the cancelled run", process)
    finally:
        process.stop()
    state = _state(run.id)
    assert state.name == "Cancelled", process.log()
    assert "exited with code 137 (signal SIGKILL)" in (state.message or "")
    pod_deletes = [query for kind, _, query in kube.deletes if kind == "Pod"]
    assert {"gracePeriodSeconds": "0"}.items() <= pod_deletes[-1].items()
    assert not _jobs_of(kube, run.id)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of the fake counts as ended
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False
