"""How long ``headwater_test_harness()`` takes to give a test session its own store.

In a fresh process (Headwater imported, as a test suite has it): entering and leaving
the harness (a new SQLite store created, a client opened, then everything let go and
removed), against the baseline of creating and removing a temporary directory with
an empty SQLite file in it.  Target: ``harness_ms`` <= 200.

    .venv/bin/python benchmarks/test_harness.py [ROUNDS]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

WORKLOAD = r"""
import json, shutil, sqlite3, sys, tempfile, time
import headwater
from headwater.testing.utilities import headwater_test_harness

rounds = int(sys.argv[1])
enter, leave, base = [], [], []
for i in range(rounds):
    t0 = time.perf_counter()
    harness = headwater_test_harness()
    harness.__enter__()
    t1 = time.perf_counter()
    harness.__exit__(None, None, None)
    t2 = time.perf_counter()
    d = tempfile.mkdtemp()
    t3 = time.perf_counter()
    sqlite3.connect(f"{d}/x.db").execute("create table t (x)").connection.close()
    shutil.rmtree(d)
    t4 = time.perf_counter()
    if i:  # the first round also imports SQLAlchemy and the store's modules
        enter.append(t1 - t0); leave.append(t2 - t1); base.append(t4 - t3)
    else:
        first = t2 - t0
med = lambda xs: sorted(xs)[len(xs) // 2] * 1e3
print(json.dumps({"first_ms": first * 1e3, "enter_ms": med(enter), "exit_ms": med(leave),
                  "harness_ms": med(enter) + med(leave), "baseline_ms": med(base)}))
"""


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env["HEADWATER_HOME"] = home
        out = subprocess.run(
            [sys.executable, "-c", WORKLOAD, str(rounds)],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(1)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rounds"] = rounds
    result["ratio_vs_baseline"] = round(result["harness_ms"] / result["baseline_ms"], 1)
    result["target_ms"] = 200
    result["meets_target"] = result["harness_ms"] <= 200
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
