"""Every example runs as ``python examples/X.py`` and records what it should."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import stored_runs, task_runs_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(name: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def test_hello() -> None:
    _run("hello.py")
    (run,) = stored_runs()
    assert run.flow_name == "hello" and run.state.is_completed()


def test_pass_dict() -> None:
    _run("pass_dict.py")
    (run,) = stored_runs()
    task_runs = task_runs_of(run.id)
    assert len(task_runs) == 2 and all(t.state.is_completed() for t in task_runs)
    first, second = task_runs
    assert second.inputs and first.id in next(iter(second.inputs.values()))


def test_etl_retries_the_download_and_loads_rows(headwater_home: Path) -> None:
    _run("etl.py")
    runs = stored_runs()
    assert all(run.state.is_completed() for run in runs)
    fetches = [t for run in runs for t in task_runs_of(run.id) if t.name.startswith("fetch")]
    assert any(t.run_count == 2 for t in fetches)  # the first request got HTTP 500
    (db,) = list(headwater_home.glob("examples/*.db"))
    with sqlite3.connect(db) as conn:
        (table,) = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        zero = conn.execute(f"select count(*) from {table} where passenger_count = 0").fetchone()
        total = conn.execute(f"select count(*) from {table}").fetchone()
    assert zero == (0,) and total[0] > 0


def test_monthly_subflows() -> None:
    _run("monthly_subflows.py")
    runs = stored_runs()
    parents = [r for r in runs if r.parent_flow_run_id is None]
    children = [r for r in runs if r.parent_flow_run_id is not None]
    assert len(parents) == 1 and len(children) == 3
    assert all(child.parent_flow_run_id == parents[0].id for child in children)


@pytest.mark.parametrize("name", ["run_all.py"])
def test_run_all_prints_the_table(name: str) -> None:
    done = _run(name)
    assert "Flow runs" in done.stdout and "etl-parent-flow" in done.stdout
