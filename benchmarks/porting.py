"""Run the Prefect-style flows of ``tests/porting/flows`` as a user porting them would.

    python benchmarks/porting.py                 # rewritten to headwater, this interpreter
    python benchmarks/porting.py --jobs 2 -v     # show each flow's outcome on stderr
    python benchmarks/porting.py --prefect benchmarks/peers/.venv-prefect/bin/python

Each flow is written for Prefect 3 (``from prefect import ...``). Its imports are
rewritten (``prefect`` -> ``headwater``, ``PREFECT_`` -> ``HEADWATER_``) into a
temporary directory and the file is run with ``python FILE`` in a subprocess with
its own temporary ``HEADWATER_HOME``. A flow passes when it exits 0 having printed
``PASS`` (each flow checks its own results with asserts).

Flows whose docstring says ``needs: issue N`` use an API another issue brings
(transactions, concurrency limits, artifacts, pause/input): they run too, but are
kept out of the percentage and listed under ``excluded``.

With ``--prefect PYTHON`` the flows run unchanged on that interpreter's Prefect
(``PREFECT_HOME`` per flow) instead: the check that the corpus is real Prefect code.

Prints one JSON object: ``flows``, ``counted``, ``passed``, ``percent``, ``failed``
(name -> last line of output), ``excluded`` (name -> issue) and ``seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FLOWS_DIR = REPO_ROOT / "tests" / "porting" / "flows"
_NEEDS = re.compile(r"needs: issue (\d+)")
_PREFECT_WORD = re.compile(r"\bprefect\b")


@dataclass
class Outcome:
    name: str
    passed: bool
    needs: str | None
    seconds: float
    detail: str


def rewrite(source: str) -> str:
    """What a person porting does: swap the package name and the settings prefix."""
    return _PREFECT_WORD.sub("headwater", source.replace("PREFECT_", "HEADWATER_"))


def needs_issue(source: str) -> str | None:
    match = _NEEDS.search(source)
    return f"issue {match.group(1)}" if match else None


def run_flow(path: Path, python: str, *, prefect: bool, timeout: float) -> Outcome:
    source = path.read_text()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="porting-") as tmp:
        work = Path(tmp)
        script = work / path.name
        script.write_text(source if prefect else rewrite(source))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEADWATER_", "PREFECT_"))}
        if prefect:
            env["PREFECT_HOME"] = str(work / "home")
            # Its temporary server starts slowly on a loaded machine; no telemetry here.
            env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "300"
            env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        else:
            env["HEADWATER_HOME"] = str(work / "home")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
        try:
            done = subprocess.run(
                [python, str(script)],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Outcome(
                path.stem, False, needs_issue(source), timeout, f"timed out ({timeout} s)"
            )
    seconds = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    passed = done.returncode == 0 and bool(lines) and lines[-1] == "PASS"
    errors = [line for line in done.stderr.strip().splitlines() if line.strip()]
    detail = "" if passed else (errors[-1] if errors else f"exit {done.returncode}")
    return Outcome(path.stem, passed, needs_issue(source), seconds, detail)


def run_corpus(
    python: str = sys.executable,
    *,
    prefect: bool = False,
    jobs: int = 2,
    timeout: float = 120.0,
    names: list[str] | None = None,
    verbose: bool = False,
) -> dict[str, object]:
    if os.sep in python:  # the flows run from a temporary directory
        python = os.path.abspath(python)
    paths = sorted(FLOWS_DIR.glob("*.py"))
    if names:
        paths = [p for p in paths if p.stem in names]
    started = time.perf_counter()

    def one(path: Path) -> Outcome:
        outcome = run_flow(path, python, prefect=prefect, timeout=timeout)
        if verbose:
            mark = "pass" if outcome.passed else "FAIL"
            print(
                f"{mark} {outcome.name} ({outcome.seconds:.1f} s) {outcome.detail}", file=sys.stderr
            )
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, paths))
    counted = [o for o in outcomes if o.needs is None]
    passed = [o for o in counted if o.passed]
    return {
        "flows": len(outcomes),
        "counted": len(counted),
        "passed": len(passed),
        "percent": round(100.0 * len(passed) / len(counted), 1) if counted else 0.0,
        "failed": {o.name: o.detail for o in counted if not o.passed},
        "excluded": {o.name: o.needs for o in outcomes if o.needs is not None},
        "excluded_passed": sorted(o.name for o in outcomes if o.needs and o.passed),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefect", metavar="PYTHON", help="run unchanged on this Prefect")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("names", nargs="*", help="only these flows (file stems)")
    args = parser.parse_args()
    report = run_corpus(
        args.prefect or sys.executable,
        prefect=bool(args.prefect),
        jobs=args.jobs,
        timeout=args.timeout,
        names=args.names,
        verbose=args.verbose,
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
