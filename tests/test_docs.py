"""The documentation names every setting and every command group (kept true)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    from headwater.settings import declared_settings

    text = (DOCS / "settings.md").read_text()
    missing = [s.env_name for s in declared_settings() if s.env_name not in text]
    assert missing == []


def test_every_command_group_is_documented() -> None:
    from headwater.cli.app import app

    text = "\n".join(path.read_text() for path in DOCS.glob("*.md"))
    groups = [group.name for group in app.registered_groups]
    missing = [name for name in groups if f"headwater {name}" not in text]
    assert missing == []


# -- the README's examples run when copied as written (issue 16) ----------------------

README = DOCS.parent / "README.md"
_FENCE = re.compile(r"(<!-- fragment[^>]*-->\n)?```(\w+)\n(.*?)```", re.DOTALL)


def _readme_blocks(language: str) -> list[tuple[str, str, bool]]:
    """(section heading, code, marked as a fragment) of each ``language`` block."""
    text = README.read_text()
    blocks = []
    for found in _FENCE.finditer(text):
        if found.group(2) != language:
            continue
        heading = re.findall(r"^#+ (.+)$", text[: found.start()], re.MULTILINE)[-1]
        blocks.append((heading, found.group(3), found.group(1) is not None))
    return blocks


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HEADWATER_API_URL"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_readme_python_blocks_run_as_written(tmp_path: Path) -> None:
    """Every Python block of the README runs in a fresh process and home, except the
    ones marked ``<!-- fragment: why -->`` (they use names from code around them)."""
    blocks = _readme_blocks("python")
    runnable = [(heading, code) for heading, code, fragment in blocks if not fragment]
    assert len(runnable) >= 5 and len(blocks) - len(runnable) <= 2
    for number, (heading, code) in enumerate(runnable):
        script = tmp_path / f"block{number}.py"
        script.write_text(code)
        done = _run([sys.executable, str(script)], tmp_path)
        assert done.returncode == 0, f"README block under {heading!r}:\n{done.stderr}"


def test_readme_flow_and_the_commands_after_it(tmp_path: Path) -> None:
    """The README's flow, saved as etl.py and run with ``python etl.py``; then each
    command of the block after it, with a real run for RUN and TASK_RUN."""
    ((_, flow_code, _),) = [b for b in _readme_blocks("python") if b[0] == "A flow"]
    (tmp_path / "etl.py").write_text(flow_code)
    done = _run([sys.executable, "etl.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    from headwater.client import get_client

    with get_client() as client:
        (run,) = client.read_flow_runs()
        assert run.state.is_completed() and run.flow_name == "etl"
        task_runs = client.read_task_runs()
    assert sorted(t.name for t in task_runs) == [
        "clean-0", "clean-1", "clean-2", "fetch-0", "fetch-1", "fetch-2",
    ]  # fmt: skip
    commands = next(b[1] for b in _readme_blocks("sh") if b[0] == "A flow")
    headwater = str(Path(sys.executable).parent / "headwater")
    ran = 0
    for line in commands.splitlines():
        command = line.split("#")[0].strip()
        if not command:
            continue
        command = command.replace("TASK_RUN", str(task_runs[0].id)[:-6])
        command = command.replace("RUN", run.name)
        args = command.split()
        assert args[0] == "headwater", line
        done = _run([headwater, *args[1:]], tmp_path)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        ran += 1
    assert ran == 6
    done = _run([headwater, "flow-run", "logs", run.name], tmp_path)
    assert "Task run 'clean-0' - dropped" in done.stdout
