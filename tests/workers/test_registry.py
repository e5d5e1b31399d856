"""Worker types by name: Headwater's own and a package's (a real entry point in a
``.dist-info`` directory on the path of a real ``headwater`` process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headwater.exceptions import UserInputError
from headwater.workers.base import WorkerType
from headwater.workers.process import ProcessWorker
from headwater.workers.registry import get_worker_type, worker_type_names


def test_process_is_built_in() -> None:
    assert get_worker_type("process") is ProcessWorker
    assert worker_type_names()[0] == "process"
    template = ProcessWorker.default_base_job_template()
    assert set(template) == {"job_configuration", "variables"}
    assert template["job_configuration"]["env"] == "{{ env }}"


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(UserInputError, match=r"unknown worker type 'nope' \(known: process"):
        get_worker_type("nope")


def _plugin(root: Path) -> dict[str, str]:
    """A package ``hwplugin`` registering the type ``echo`` (and a broken ``bad``)."""
    (root / "hwplugin.py").write_text(
        textwrap.dedent(
            """
            from headwater.workers.base import WorkerType

            class EchoWorker(WorkerType):
                type = "echo"
                variables = {"type": "object", "properties": {"word": {"default": "hi"}}}
                job_configuration = {"say": "{{ word }}"}

            class NotAType:
                pass
            """
        )
    )
    info = root / "hwplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hwplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[headwater.workers]\necho = hwplugin:EchoWorker\nbad = hwplugin:NotAType\n"
    )
    return {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}


def _headwater(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headwater", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_package_registers_a_type_by_entry_point(tmp_path: Path) -> None:
    assert WorkerType.default_base_job_template()["job_configuration"] == {}
    env = _plugin(tmp_path)
    shown = _headwater(env, "work-pool", "get-default-base-job-template", "--type", "echo")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["job_configuration"] == {"say": "{{ word }}"}
    bad = _headwater(env, "work-pool", "get-default-base-job-template", "--type", "bad")
    assert bad.returncode == 1
    assert "is not a WorkerType subclass" in bad.stderr and "Traceback" not in bad.stderr
    unknown = _headwater(env, "work-pool", "get-default-base-job-template", "--type", "nope")
    assert "known: process" in unknown.stderr and "echo" in unknown.stderr
