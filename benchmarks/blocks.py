"""Blocks and variables: cost of a save, a load and a variable read, in microseconds.

Each side runs in a fresh process with a fresh home: Headwater on its embedded
SQLite store, Prefect 3.9.1 (its own venv, see peers/prefect_env.py) on its
ephemeral local API, when that venv exists.  Prints JSON; ``ratio`` is Prefect's
time over Headwater's for the same operation in this run.

    .venv/bin/python benchmarks/blocks.py [N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD = r"""
import json, sys, time
N = int(sys.argv[1])
t0 = time.perf_counter()
if sys.argv[2] == "headwater":
    from headwater.blocks import Secret
    from headwater.variables import Variable
else:
    from prefect.blocks.system import Secret
    from prefect.variables import Variable
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
Secret(value="pw-0").save("bench", overwrite=True)
t_first_save = time.perf_counter() - t0
t0 = time.perf_counter()
for i in range(N):
    Secret(value=f"pw-{i}").save("bench", overwrite=True)
t_save = (time.perf_counter() - t0) / N
t0 = time.perf_counter()
for _ in range(N):
    assert Secret.load("bench").get().startswith("pw-")
t_load = (time.perf_counter() - t0) / N
Variable.set("bench-var", {"a": 1}, overwrite=True)
t0 = time.perf_counter()
for _ in range(N):
    Variable.get("bench-var")
t_var = (time.perf_counter() - t0) / N
print(json.dumps({
    "import_ms": t_import * 1e3, "first_save_ms": t_first_save * 1e3,
    "save_us": t_save * 1e6, "load_us": t_load * 1e6, "variable_get_us": t_var * 1e6,
}))
"""


def _run(python: str, side: str, n: int) -> dict[str, float] | None:
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEADWATER_", "PREFECT_"))}
        env["HEADWATER_HOME"] = env["PREFECT_HOME"] = home
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        try:
            out = subprocess.run(
                [python, "-c", WORKLOAD, str(n), side],
                capture_output=True,
                text=True,
                timeout=600,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return None
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-2000:])
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    result: dict[str, object] = {"n": n, "headwater": _run(sys.executable, "headwater", n)}
    prefect_python = Path(__file__).parent / "peers" / ".venv-prefect" / "bin" / "python"
    if not prefect_python.exists():
        prefect_python = Path("/work/main/benchmarks/peers/.venv-prefect/bin/python")
    if prefect_python.exists():
        prefect = _run(str(prefect_python), "prefect", n)
        result["prefect"] = prefect
        headwater = result["headwater"]
        if prefect and isinstance(headwater, dict):
            result["ratio"] = {
                key: round(prefect[key] / headwater[key], 1) for key in headwater if headwater[key]
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
