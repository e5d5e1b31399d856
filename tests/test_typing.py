"""@flow and @task keep the user's signature for type checkers (checked with mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from typing import assert_type
from headwater import flow, task
from headwater.futures import HeadwaterFuture

@task
def add(x: int, y: int = 1) -> int:
    return x + y

@task(retries=2)
def name(first: str) -> str:
    return first

@flow
def pipeline(n: int) -> int:
    assert_type(add(1), int)
    assert_type(name("a"), str)
    assert_type(add.submit(1), HeadwaterFuture[int])
    return add(n)

assert_type(pipeline(1), int)
add("not an int")  # E: incompatible type
"""


def test_signatures_survive_decoration(tmp_path: Path) -> None:
    source = tmp_path / "snippet.py"
    source.write_text(SNIPPET)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--python-version",
            "3.11",
            "--follow-imports",
            "silent",
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    bad_line = SNIPPET.splitlines().index('add("not an int")  # E: incompatible type') + 1
    assert f"snippet.py:{bad_line}:" in errors[0] and "incompatible type" in errors[0]
