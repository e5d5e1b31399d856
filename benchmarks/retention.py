"""Retention: how fast a prune deletes, and how long a writer waits meanwhile.

    python benchmarks/retention.py [--runs 20000] [--url sqlite:////tmp/retention.db]
                                   [--target-ms 8]

Seeds ``--runs`` finished runs 60 days old (a task run and a log line each, two
state rows) into a fresh store, then, with a writer thread writing one log line at a
time: first the prune, then as long again with nothing else running (the baseline:
on a loaded machine a lone write sometimes waits for the CPU, and the longest wait
of a run grows with its length, so both get the same time).  Prints one JSON
object: runs pruned per second, the writer's median, 99th percentile and longest
wait during the prune and how many writes waited over 100 ms, the same for the
baseline, and the machine's load average (1 minute) when each phase ended: on a
shared machine, compare the two phases of one run, not figures of different runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._retention_seed import seed, timed_writes, wait_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="store URL (default: a temporary SQLite)")
    parser.add_argument(
        "--target-ms", type=float, default=None, help="a prune transaction's target duration"
    )
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="hw-retention-")
    os.environ["HEADWATER_HOME"] = home
    url = args.url or f"sqlite:///{home}/headwater.db"

    from headwater.server.db.database import get_database
    from headwater.server.store.retention import (
        TARGET_SECONDS,
        TARGET_SECONDS_POSTGRES,
        cutoff_for,
        prune,
    )

    db = get_database(url)
    started = time.perf_counter()
    seed(db, old=args.runs, kept=3, tasks_per_run=1, logs_per_run=1)
    seeded = time.perf_counter() - started
    load = {"before": round(os.getloadavg()[0], 1)}
    default = TARGET_SECONDS if db.is_sqlite else TARGET_SECONDS_POSTGRES
    target = default if args.target_ms is None else args.target_ms / 1000
    report, during = timed_writes(
        db, lambda: prune(db, cutoff=cutoff_for(30), target_seconds=target)
    )
    load["after_prune"] = round(os.getloadavg()[0], 1)
    _, alone = timed_writes(db, lambda: time.sleep(max(1.0, report.seconds)))
    load["after_baseline"] = round(os.getloadavg()[0], 1)
    print(
        json.dumps(
            {
                "benchmark": "retention",
                "store": db.dialect,
                "runs_seeded": args.runs,
                "target_ms": round(target * 1000, 1),
                "seed_seconds": round(seeded, 2),
                "runs_pruned": report.flow_runs,
                "rows_pruned": sum(report.counts.values()),
                "batches": report.batches,
                "prune_seconds": round(report.seconds, 2),
                "runs_pruned_per_second": round(report.flow_runs / report.seconds, 1),
                "writer_during_prune": wait_summary(during),
                "writer_baseline_no_prune": wait_summary(alone),
                "max_wait_ratio_vs_baseline": round(max(during) / max(alone), 2),
                "load_average": load,
            },
            indent=2,
        )
    )
    db.dispose()


if __name__ == "__main__":
    main()
