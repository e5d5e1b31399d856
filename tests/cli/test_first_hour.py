"""The CLI a new user meets first (issue 16): ``--version``, plain ``--help``, runs named
by id prefix or name, who wrote each log line, ``flow ls``, ``task-run inspect``, and
the UI link every flow run prints when a server is configured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from headwater import flow, get_run_logger, task
from headwater._version import __version__
from headwater.client import get_client
from headwater.client.writer import flush_all
from headwater.schemas.filters import FlowRunFilter, TaskRunFilter
from tests._servers import ServerProcess
from tests.cli._run import run_cli


@task
def extract(n: int) -> int:
    get_run_logger().info("extracting %d", n)
    return n


@flow(name="first-hour")
def first_hour(n: int = 2) -> int:
    get_run_logger().info("the flow speaks")
    return extract(n)


def _runs(flow_name: str) -> list[Any]:
    flush_all()
    with get_client() as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[flow_name]))


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "--version") == (0, f"headwater {__version__}\n", "")
    code, out, _ = run_cli(capsys, "-V")
    assert code == 0 and out == f"headwater {__version__}\n"


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        if not getattr(sub, "hidden", False):
            paths += _command_paths(sub, (*prefix, name))
    return paths


def test_help_shows_no_python_type_placeholders(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer.main

    from headwater.cli.app import app

    monkeypatch.setenv("COLUMNS", "200")
    paths = _command_paths(typer.main.get_command(app))
    assert ("flow", "ls") in paths and ("task-run", "inspect") in paths
    for path in paths:
        code, out, err = run_cli(capsys, *path, "--help")
        assert code == 0, (path, err)
        assert re.search(r"<[a-z][\w\[\], |]*>", out) is None, (path, out)
    _, out, _ = run_cli(capsys, "flow-run", "ls", "--help")
    assert "TEXT" in out and "INTEGER" in out and "<bool>" not in out


def test_runs_are_named_by_id_prefix_or_name(capsys: pytest.CaptureFixture[str]) -> None:
    first_hour(3)
    first_hour(4)
    older, newer = sorted(_runs("first-hour"), key=lambda run: run.created)
    # by name
    code, out, err = run_cli(capsys, "flow-run", "inspect", newer.name)
    assert code == 0, err
    assert str(newer.id) in out and "{'n': 4}" in out
    # by the shortest prefix that tells the two apart (ids are time-ordered: the
    # first characters of runs made together are the same)
    common = next(
        str(older.id)[:i]
        for i, (a, b) in enumerate(zip(str(older.id), str(newer.id), strict=True))
        if a != b
    )
    code, out, err = run_cli(capsys, "flow-run", "inspect", str(older.id)[: len(common) + 1])
    assert code == 0, err
    assert str(older.id) in out
    # an ambiguous prefix: one line naming both
    code, out, err = run_cli(capsys, "flow-run", "logs", common)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"Error: '{common}' fits 2 flow runs: ")
    assert str(older.id) in lines[0] and str(newer.id) in lines[0]
    assert older.name in lines[0] and newer.name in lines[0]
    # many: the first five, how many more, still one line
    for n in range(5):
        first_hour(n)
    ids = [str(run.id) for run in _runs("first-hour")]
    shared = next(i for i in range(36) if len({run_id[: i + 1] for run_id in ids}) > 1)
    code, _, err = run_cli(capsys, "flow-run", "inspect", ids[0][:shared])
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "fits 7 flow runs: " in err and "and 2 more; give more of the id" in err
    # nothing by that name or prefix
    code, _, err = run_cli(capsys, "flow-run", "delete", "no-such-run")
    assert code == 1
    assert err.splitlines()[0] == "Error: no flow run has the id, id prefix or name 'no-such-run'"
    # the task runs of a run named by its name
    code, out, err = run_cli(capsys, "task-run", "ls", "--flow-run", newer.name)
    assert code == 0 and "extract-0" in out, err


@pytest.fixture
def one_run(monkeypatch: pytest.MonkeyPatch) -> Any:
    """One finished run of ``first_hour(5)`` (wide output for the tables)."""
    monkeypatch.setenv("COLUMNS", "200")
    first_hour(5)
    (run,) = _runs("first-hour")
    return run


def test_flow_run_logs_say_which_task_wrote_each_line(
    capsys: pytest.CaptureFixture[str], one_run: Any
) -> None:
    run = one_run
    code, out, err = run_cli(capsys, "flow-run", "logs", str(run.id))
    assert code == 0, err
    lines = out.splitlines()
    (task_line,) = [line for line in lines if "extracting 5" in line]
    assert "| Task run 'extract-0' - extracting 5" in task_line
    (flow_line,) = [line for line in lines if "the flow speaks" in line]
    assert f"| Flow run '{run.name}' - the flow speaks" in flow_line


def test_flow_ls_and_task_run_inspect(capsys: pytest.CaptureFixture[str], one_run: Any) -> None:
    run = one_run
    code, out, err = run_cli(capsys, "flow", "ls")
    assert code == 0, err
    assert "Flows (1)" in out and "first-hour" in out
    with get_client() as client:
        (task_run,) = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run.id]))
    code, out, err = run_cli(capsys, "task-run", "inspect", str(task_run.id)[:-4])
    assert code == 0, err
    assert f"extract-0 ({task_run.id})" in out
    assert f"{run.name} ({run.id})" in out
    assert "Completed" in out and "State history" in out and "Running" in out
    code, _, err = run_cli(capsys, "task-run", "inspect", str(uuid.uuid4()))
    assert code == 1 and "not found" in err


FLOW_SCRIPT = """
from headwater import flow

@flow
def linked():
    return 1

linked()
"""


def test_every_flow_run_prints_its_ui_link_when_a_server_is_configured(
    api_server: ServerProcess, tmp_path: Path
) -> None:
    script = tmp_path / "linked.py"
    script.write_text(FLOW_SCRIPT)
    env = dict(os.environ, HEADWATER_LOGGING_CONSOLE="true", HEADWATER_API_URL=api_server.api_url)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"View at (http://\S+/flow-runs/([0-9a-f-]{36}))$", done.stderr, re.M)
    assert found is not None, done.stderr
    assert found.group(1) == f"{api_server.url}/flow-runs/{found.group(2)}"
    assert httpx.get(found.group(1), timeout=30).status_code == 200
    # the embedded store has no UI to link to
    env.pop("HEADWATER_API_URL")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "View at" not in done.stderr
