"""Headwater's server beside Prefect 3.9.1's, in one run; prints one JSON object.

Runs ``server_api.py`` and ``server_flow.py`` (Headwater) and, when a Prefect venv
is found, ``peers/server_prefect.py`` with its interpreter, then puts the figures
side by side with Headwater/Prefect ratios and the issue's targets.

The Prefect interpreter is, in order: ``$PREFECT_PYTHON``; the venv that
``peers/prefect_env.py`` manages (``benchmarks/peers/.venv-prefect``), if present.

    python benchmarks/server_compare.py [--skip-prefect] [--prefect-flow-tasks 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

TARGETS = {
    "start_warm_s": ("<=", 1.5),
    "idle_rss_mb": ("<=", 120),
    "flow_run_creates_per_s": (">=", 500),
    "database_locked_errors": ("==", 0),
    "task_run_records_per_s": (">=", 20_000),
    "server_over_embedded": ("<=", 1.5),
}


def run_json(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def prefect_python() -> str | None:
    explicit = os.environ.get("PREFECT_PYTHON")
    if explicit:
        return explicit
    candidate = HERE / "peers" / ".venv-prefect" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


def meets(value: float, rule: tuple[str, float]) -> bool:
    op, limit = rule
    return {"<=": value <= limit, ">=": value >= limit, "==": value == limit}[op]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-prefect", action="store_true")
    parser.add_argument("--prefect-flow-tasks", type=int, default=10_000)
    args = parser.parse_args()

    headwater = run_json([sys.executable, str(HERE / "server_api.py")])
    headwater.update(run_json([sys.executable, str(HERE / "server_flow.py")]))
    result: dict[str, Any] = {"headwater": headwater}
    checks = {
        name: {
            "value": headwater[name],
            "target": f"{op} {limit}",
            "met": meets(headwater[name], (op, limit)),
        }
        for name, (op, limit) in TARGETS.items()
        if name in headwater
    }
    result["targets"] = checks
    python = None if args.skip_prefect else prefect_python()
    if python is None:
        result["prefect"] = "skipped (set PREFECT_PYTHON or create benchmarks/peers/.venv-prefect)"
    else:
        prefect = run_json(
            [
                python,
                str(HERE / "peers" / "server_prefect.py"),
                "--flow-tasks",
                str(args.prefect_flow_tasks),
            ]
        )
        result["prefect"] = prefect
        ratios: dict[str, float] = {}
        for name in ("start_cold_s", "start_warm_s", "idle_rss_mb"):
            ratios[f"{name} prefect/headwater"] = round(prefect[name] / headwater[name], 1)
        for name in ("flow_run_creates_per_s", "task_run_records_per_s", "log_records_per_s"):
            ratios[f"{name} headwater/prefect"] = round(headwater[name] / prefect[name], 1)
        if "flow_with_server_s" in prefect:
            per_task_prefect = prefect["flow_with_server_s"] / prefect["flow_tasks"]
            per_task_headwater = headwater["server_s"] / headwater["n"]
            ratios["flow_task_with_server prefect/headwater"] = round(
                per_task_prefect / per_task_headwater, 1
            )
        result["ratios"] = ratios
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
