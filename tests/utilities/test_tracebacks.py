"""What a failing script prints on stderr: user errors as one line (with or without a
flow), a failing flow's traceback once (checked in real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _run(tmp_path: Path, code: str, *, console: bool = True) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    env = dict(os.environ, HEADWATER_LOGGING_CONSOLE="true" if console else "false")
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_block_saved_twice_without_a_flow_is_one_line(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        """
        from headwater.blocks import Secret
        Secret(value="x").save("warehouse-password")
        Secret(value="y").save("warehouse-password")
        """,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "headwater: error: a secret block named 'warehouse-password' already exists; "
        "pass overwrite=True (CLI: --overwrite) to replace it"
    ]


def test_a_variable_set_twice_without_a_flow_is_one_line(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        """
        from headwater.variables import Variable
        Variable.set("regions", ["eu"])
        Variable.set("regions", ["us"])
        """,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("headwater: error: ") and "regions" in lines[0]


FAILING_FLOW = """
    from headwater import flow, task

    @task
    def boom():
        raise ValueError("bad thing")

    @flow
    def etl():
        boom()

    etl()
    """


def test_a_failing_flow_prints_its_traceback_once(tmp_path: Path) -> None:
    done = _run(tmp_path, FAILING_FLOW)
    assert done.returncode == 1
    err = done.stderr
    assert err.count("Traceback (most recent call last)") == 1, err
    assert err.count('raise ValueError("bad thing")') == 1, err
    lines = err.splitlines()
    # start, the task's failure with its 4-line traceback, the flow's exception
    # (pointing up), its final state, and the script's last two lines
    assert len(lines) == 10, err
    assert "Encountered exception during execution: ValueError: bad thing (traceback above)" in err
    assert lines[-2:] == ["ValueError: bad thing", "(the traceback is in the log above)"]


def test_without_console_logs_python_prints_the_traceback(tmp_path: Path) -> None:
    done = _run(tmp_path, FAILING_FLOW, console=False)
    assert done.returncode == 1
    err = done.stderr
    assert err.count("Traceback (most recent call last)") == 1, err
    assert err.splitlines()[-1] == "ValueError: bad thing"
    assert "in the log above" not in err
