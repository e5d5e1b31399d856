"""Run the same workloads on Headwater and on Prefect 3, and print one JSON object.

    python benchmarks/peers/compare.py --n 1000

Headwater's figures come from ``benchmarks/workloads.py`` (``run_all(n)``),
imported into this process; Prefect's from ``workloads_prefect.py`` run with
the interpreter of ``benchmarks/peers/.venv-prefect`` (created on first use
unless ``--skip-prefect-setup``). The output is
``{"headwater": {...}, "prefect": {...}, "ratio": {key: headwater / prefect}}``;
a ratio is null when either side lacks the figure. On a terminal, a table of
the same figures follows the JSON.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, TypeGuard

from prefect_env import ensure_prefect_env, venv_python

PEERS_DIR = Path(__file__).resolve().parent
BENCHMARKS_DIR = PEERS_DIR.parent
REPO_ROOT = BENCHMARKS_DIR.parent
PREFECT_SCRIPT = PEERS_DIR / "workloads_prefect.py"

# The figures both sides report, in the order they are shown. Lower is better for all.
KEYS = [
    "direct_task_us",
    "mapped_task_us",
    "subflow_ms",
    "cache_hit_us",
    "import_s",
    "hello_cold_s",
    "hello_warm_s",
    "peak_rss_mb",
]
STDERR_TAIL_LINES = 60


def note(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def run_headwater(n: int) -> dict[str, Any]:
    """Headwater's figures from benchmarks/workloads.py, run in this process."""
    for path in (REPO_ROOT, BENCHMARKS_DIR):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    try:
        workloads = importlib.import_module("workloads")
        result = workloads.run_all(n)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"}
    if not isinstance(result, dict):
        return {"error": f"run_all returned {type(result).__name__}, not dict"}
    return result


def parse_json_object(text: str) -> dict[str, Any]:
    """The last top-level JSON object in ``text`` (the one that starts a line)."""
    lines = text.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].startswith("{"):
            value = json.loads("\n".join(lines[start:]))
            if isinstance(value, dict):
                return value
            break
    raise ValueError("no JSON object in the output")


def run_prefect(n: int, skip_setup: bool) -> dict[str, Any]:
    """Prefect's figures from workloads_prefect.py, run in the Prefect venv."""
    try:
        python = venv_python() if skip_setup else ensure_prefect_env()
    except Exception as exc:
        return {"error": f"could not set up the Prefect venv: {exc}"}
    if not python.exists():
        return {
            "error": f"no Prefect venv at {python.parent.parent}; run without --skip-prefect-setup"
        }
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    with tempfile.TemporaryFile("w+") as stdout:
        proc = subprocess.Popen(
            [str(python), str(PREFECT_SCRIPT), "--n", str(n)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=PEERS_DIR,
        )
        assert proc.stderr is not None
        for line in proc.stderr:
            tail.append(line)
            if line.startswith("[workloads_prefect]"):
                sys.stderr.write(line)  # progress; Prefect's own logs stay quiet
        returncode = proc.wait()
        stdout.seek(0)
        output = stdout.read()
    if returncode != 0:
        return {"error": f"workloads_prefect.py exited {returncode}", "stderr_tail": "".join(tail)}
    try:
        return parse_json_object(output)
    except ValueError as exc:
        return {"error": f"could not read workloads_prefect.py output: {exc}"}


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def ratios(headwater: dict[str, Any], prefect: dict[str, Any]) -> dict[str, float | None]:
    """headwater / prefect for the shared keys and any other figure both report."""
    shared = [k for k in headwater if k in prefect and k not in KEYS and k not in ("n", "subflows")]
    out: dict[str, float | None] = {}
    for key in KEYS + sorted(shared):
        hw, pf = headwater.get(key), prefect.get(key)
        if is_number(hw) and is_number(pf) and pf != 0:
            out[key] = float(f"{hw / pf:.4g}")
        elif key in KEYS or (is_number(hw) and is_number(pf)):
            out[key] = None
    return out


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if is_number(value):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def print_table(report: dict[str, Any]) -> None:
    rows = [
        (key, fmt(report["headwater"].get(key)), fmt(report["prefect"].get(key)), fmt(ratio))
        for key, ratio in report["ratio"].items()
    ]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        for row in rows:
            print("  ".join(cell.rjust(16) for cell in row))
        return
    table = Table(title="Headwater vs Prefect (lower is better)")
    table.add_column("figure")
    for name in ("headwater", "prefect", "headwater / prefect"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks per workload")
    parser.add_argument(
        "--skip-prefect-setup",
        action="store_true",
        help="use the existing Prefect venv as is (do not create or check it)",
    )
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n must be at least 2")

    note(f"Headwater workloads, n={args.n}")
    headwater = run_headwater(args.n)
    note(f"Prefect workloads, n={args.n} (minutes: Prefect is slow per task)")
    prefect = run_prefect(args.n, args.skip_prefect_setup)
    report = {"headwater": headwater, "prefect": prefect, "ratio": ratios(headwater, prefect)}
    print(json.dumps(report, indent=2), flush=True)
    if sys.stdout.isatty():
        print_table(report)
    return 0 if "error" not in headwater and "error" not in prefect else 1


if __name__ == "__main__":
    sys.exit(main())
