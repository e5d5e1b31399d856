"""Re-running a failed flow run from where it failed, with the runs on a server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests._servers import ServerProcess

FLOW = textwrap.dedent(
    """
    import os, sys
    from headwater import flow, task

    @task(persist_result=True)
    def expensive(i: int) -> int:
        with open(os.environ["CALLS_FILE"], "a") as calls:
            calls.write(f"{i}\\n")
        return i * 10

    @task
    def maybe_fail(total: int) -> int:
        if os.environ.get("FAIL") == "1":
            raise RuntimeError("boom")
        return total

    @flow
    def pipeline(n: int = 3) -> int:
        return maybe_fail(sum(expensive(i) for i in range(n)))

    if __name__ == "__main__":
        pipeline()
    """
)


def test_retry_through_the_server_skips_persisted_tasks(
    api_server: ServerProcess, api: httpx.Client, tmp_path: Path
) -> None:
    script = tmp_path / "pipeline.py"
    script.write_text(FLOW)
    calls = tmp_path / "calls.txt"
    env = {
        "HEADWATER_HOME": str(tmp_path / "client"),
        "HEADWATER_API_URL": api_server.api_url,
        "HEADWATER_LOGGING_CONSOLE": "false",
        "CALLS_FILE": str(calls),
        "FAIL": "1",
        "PATH": "/usr/bin:/bin",
    }
    failed = subprocess.run([sys.executable, str(script)], env=env, capture_output=True)
    assert failed.returncode != 0
    runs = api.post("/flow_runs/filter", json={"flow_runs": {"flow_names": ["pipeline"]}})
    run = runs.json()["results"][0]
    assert run["state"]["type"] == "FAILED"
    assert len(api.get(f"/flow_runs/{run['id']}/resume_map").json()) == 4
    env["FAIL"] = "0"
    retried = subprocess.run(
        [sys.executable, "-m", "headwater", "flow-run", "retry", run["id"]],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert retried.returncode == 0, retried.stderr
    assert calls.read_text().split() == ["0", "1", "2"]  # not run a second time
    again = api.get(f"/flow_runs/{run['id']}").json()
    assert again["state"]["type"] == "COMPLETED" and again["run_count"] == 2
    assert api.get(f"/flow_runs/{run['id']}/resume_map").status_code == 200
    missing = api.get("/flow_runs/00000000-0000-0000-0000-000000000000/resume_map")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/cache_locks/acquire", "/cache_locks/release"])
def test_lock_endpoints_validate(api: httpx.Client, path: str) -> None:
    assert api.post(path, json={"key": "k"}).status_code == 422
