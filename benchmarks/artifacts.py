"""Artifacts on the embedded store: the cost of creating one, in microseconds.

In a fresh process with a fresh home (SQLite), a flow creates N markdown artifacts and
N run log lines (the baseline: the same batching writer, measured in the same run).
``call_us`` is what the flow pays per call (the record queued); ``total_us`` includes
writing everything to the store (the writer flushed), per record.  The target is
``artifact.total_us`` <= 50; ``ratio`` is artifact cost over log-line cost.

    .venv/bin/python benchmarks/artifacts.py [N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

WORKLOAD = r"""
import json, sys, time
from headwater import flow, get_run_logger
from headwater.artifacts import create_markdown_artifact, create_table_artifact
from headwater.client.writer import flush_all

N = int(sys.argv[1])

def measure(make):
    flush_all()
    t0 = time.perf_counter()
    for i in range(N):
        make(i)
    t_call = time.perf_counter() - t0
    assert flush_all(120)
    t_total = time.perf_counter() - t0
    return {"call_us": t_call / N * 1e6, "total_us": t_total / N * 1e6}

@flow
def bench():
    logger = get_run_logger()
    logger.info("warm-up")
    create_markdown_artifact("warm-up", key="warm-up")
    flush_all()
    out = {}
    # Alternate twice and keep each one's best, so neither gets the quieter moment.
    for _ in range(2):
        log = measure(lambda i: logger.info("line %d of the report", i))
        art = measure(lambda i: create_markdown_artifact(f"line {i} of the report", key="report"))
        keyless = measure(lambda i: create_markdown_artifact(f"line {i} of the report"))
        for name, value in (("log_line", log), ("artifact", art), ("artifact_no_key", keyless)):
            best = out.setdefault(name, value)
            out[name] = {k: min(best[k], value[k]) for k in value}
    rows = [{"id": i, "name": f"row {i}", "value": i * 1.5} for i in range(10_000)]
    t0 = time.perf_counter()
    create_table_artifact(rows, key="big-table")
    out["table_10000_rows_call_ms"] = (time.perf_counter() - t0) * 1e3
    return out

print(json.dumps(bench()))
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
        env["HEADWATER_HOME"] = home
        env["HEADWATER_LOGGING_CONSOLE"] = "false"
        out = subprocess.run(
            [sys.executable, "-c", WORKLOAD, str(n)],
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
    artifact, log_line = result["artifact"], result["log_line"]
    result["n"] = n
    result["ratio_total_artifact_over_log_line"] = round(
        artifact["total_us"] / log_line["total_us"], 2
    )
    result["target_total_us"] = 50
    result["meets_target"] = artifact["total_us"] <= 50
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
