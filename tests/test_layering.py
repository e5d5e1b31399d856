"""The layering contracts (``[tool.importlinter]`` in pyproject.toml) hold, a violation
breaks them, and CONTRIBUTING.md's import graph is the code's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "injected", "contract"),
    [
        # shared schemas reaching up into the engine
        ("schemas/base.py", "from headwater.engine import flow_engine", "schemas"),
        # the engine going around the client to the store
        ("engine/task_run.py", "from headwater.server.store import task_runs", "only through"),
        # a client calling back into the engine (inside a function: lazy imports count)
        ("client/http.py", "def _f():\n    from headwater.launch import runs", "top-down"),
        # the server importing the CLI
        ("server/app.py", "import headwater.cli.app", "client-side code"),
    ],
)
def test_a_layering_violation_fails_the_lint(
    tmp_path: Path, module: str, injected: str, contract: str
) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        REPO / "headwater",
        tmp_path / "headwater",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    target = tmp_path / "headwater" / module
    target.write_text(target.read_text() + f"\n\n{injected}\n")
    result = _lint_imports(tmp_path, pythonpath=tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert broken, result.stdout
    assert contract in result.stdout.split("Broken contracts")[-1], result.stdout


def test_the_import_graph_in_contributing_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "import_graph.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
