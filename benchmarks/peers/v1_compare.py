"""Prefect 1.4.1 and ``headwater.v1`` on the same Prefect 1 flows: identical results?

    python benchmarks/peers/v1_compare.py

Creates ``benchmarks/peers/.venv-prefect1`` (git-ignored) with ``prefect==1.4.1`` on
first use, runs ``v1_flows.py`` there, runs the same file on Headwater with
``prefect`` rewritten to ``headwater.v1`` (each in a fresh process and home), and
prints one JSON object: per flow run whether the final state, its message and every
task's state and result are the same, and the differences where they are not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-prefect1"


def prefect1_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "prefect==1.4.1"], check=True)
    return python


def run(python: str, source: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as home:
        script = Path(home) / "flows.py"
        script.write_text(source)
        env = {**os.environ, "HEADWATER_HOME": home, "PREFECT__HOME_DIR": home}
        env["HEADWATER_LOGGING_LEVEL"] = "WARNING"
        env["PREFECT__LOGGING__LEVEL"] = "WARNING"
        env.pop("HEADWATER_API_URL", None)
        out = subprocess.run(
            [python, str(script)], env=env, capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    source = (HERE / "v1_flows.py").read_text()
    ported = re.sub(r"\bprefect\b", "headwater.v1", source)
    prefect_runs = run(str(prefect1_python()), source)
    headwater_runs = run(sys.executable, ported)
    runs = []
    for theirs, ours in zip(prefect_runs, headwater_runs, strict=True):
        same = theirs == ours
        entry: dict = {"flow": theirs["flow"], "parameters": theirs["parameters"], "same": same}
        if not same:
            entry["prefect"] = theirs
            entry["headwater"] = ours
        runs.append(entry)
    identical = sum(r["same"] for r in runs)
    print(json.dumps({"runs": runs, "identical": identical, "of": len(runs)}, indent=2))


if __name__ == "__main__":
    main()
