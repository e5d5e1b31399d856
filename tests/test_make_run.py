"""``make run`` (scripts/run-with-server.sh) tells a new user how to reach the CLI it
installed, and what it prints works when typed into another shell."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests._servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def _banner(home: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = dict(
        os.environ,
        BIN=str(Path(sys.executable).parent),
        HEADWATER_HOME=str(home),
        HEADWATER_SERVER_PORT=str(port),
    )
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run-with-server.sh")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C to stop."):
            break
    return proc, lines


def test_make_run_banner_says_how_to_use_the_installed_cli(tmp_path: Path) -> None:
    port = free_port()
    proc, lines = _banner(tmp_path / "home", port)
    try:
        text = "\n".join(lines)
        assert lines and lines[-1] == "Press Ctrl-C to stop.", text
        activate = re.search(r"^\s+source (\S+/activate)$", text, re.MULTILINE)
        assert activate is not None, text
        assert Path(activate.group(1)) == Path(sys.executable).parent / "activate"
        export = re.search(r"^\s+(export HEADWATER_API_URL=\S+)$", text, re.MULTILINE)
        assert export is not None and export.group(1).endswith(f":{port}/api"), text
        assert "headwater flow-run ls" in text

        # What the banner says, typed into a fresh shell whose PATH lacks the venv.
        script = tmp_path / "my_flow.py"
        script.write_text(
            "from headwater import flow\n\n@flow\ndef my_flow():\n    return 1\n\nmy_flow()\n"
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("HEADWATER_", "VIRTUAL_ENV"))
        }
        env["PATH"] = "/usr/bin:/bin"
        shell = (
            f"source {activate.group(1)} && {export.group(1)} && "
            f"python {script} && headwater flow-run ls --flow my-flow"
        )
        done = subprocess.run(
            ["bash", "-c", shell], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "my-flow" in done.stdout
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)  # drains and closes the pipe
