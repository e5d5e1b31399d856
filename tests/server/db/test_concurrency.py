"""Ten flow processes writing to one home at once never fail with "database is locked"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import stored_runs

WORKER = textwrap.dedent(
    """
    import sys
    from headwater import flow, task, get_run_logger

    @task
    def work(i):
        return i

    @flow
    def busy(worker: int):
        for i in range(300):
            work(i)
            if i % 50 == 0:
                get_run_logger().info("worker %d at %d", worker, i)
        return worker

    busy(int(sys.argv[1]))
    """
)


def test_ten_processes_write_to_one_store(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(10)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    runs = stored_runs()
    assert len(runs) == 10 and all(run.state.is_completed() for run in runs)
    from headwater.client import get_client

    assert len(get_client().read_task_runs(limit=10_000)) == 3000
