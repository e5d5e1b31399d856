"""``make test`` prints skip reasons once, grouped with a count, not a line per test:
a pytest run of its own, with the project's options, over 200 skipped tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SKIPPING = """
import os
import re
import pytest

@pytest.mark.parametrize("n", range(150))
def test_needs_postgres(n):
    pytest.skip("HEADWATER_TEST_DATABASE_URL is not set")

@pytest.mark.parametrize("n", range(50))
def test_needs_chromium(n):
    pytest.skip("Chromium is not installed")

def test_runs():
    assert True
"""


def test_skips_are_listed_once_grouped_by_reason(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    found = re.search(r'^addopts = "(.*)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found is not None  # the project's own options (-rfE: no line per skip)
    plugins = ["-p", "tests._skip_summary", "-p", "no:cacheprovider", "-p", "no:randomly"]
    here = ["--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "-n", "2", *found.group(1).split(), *here],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "  150  HEADWATER_TEST_DATABASE_URL is not set" in lines
    assert "   50  Chromium is not installed" in lines
    assert sum("skipped -" in line for line in lines) == 1  # the section's title
    assert not any(line.startswith("SKIPPED") for line in lines), done.stdout
    assert len(lines) < 25, done.stdout
    assert "1 passed, 200 skipped" in lines[-1]
