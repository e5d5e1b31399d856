"""Retention: how fast a prune deletes, and how long a writer waits meanwhile.

    python benchmarks/retention.py [--runs 20000] [--url sqlite:////tmp/retention.db]

Seeds ``--runs`` finished runs 60 days old (a task run and a log line each, two
state rows) into a fresh store, then, with a writer thread writing one log line at a
time: first the prune, then as long again with nothing else running (the baseline:
on a loaded machine a lone write sometimes waits for the CPU, and the longest wait
of a run grows with its length, so both get the same time).  Prints one JSON
object: runs pruned per second, the writer's longest and 99th percentile wait during
the prune and how many writes waited over 100 ms, and the same for the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._retention_seed import seed, timed_log_writer


def _timed_writes(db: Any, run_id: Any, during: Any) -> tuple[Any, list[float]]:
    stop = threading.Event()
    waits: list[float] = []
    thread = threading.Thread(target=timed_log_writer, args=(db, run_id, stop, waits))
    thread.start()
    try:
        out = during()
    finally:
        stop.set()
        thread.join()
    return out, waits


def _summary(waits: list[float]) -> dict[str, float]:
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "writes": len(waits),
        "max_ms": round(ordered[-1] * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "over_100_ms": sum(1 for wait in ordered if wait > 0.1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="store URL (default: a temporary SQLite)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="hw-retention-")
    os.environ["HEADWATER_HOME"] = home
    url = args.url or f"sqlite:///{home}/headwater.db"

    from sqlalchemy import select

    from headwater.server.db.database import get_database
    from headwater.server.db.tables import flow_runs
    from headwater.server.store.retention import cutoff_for, prune

    db = get_database(url)
    started = time.perf_counter()
    seed(db, old=args.runs, kept=3, tasks_per_run=1, logs_per_run=1)
    seeded = time.perf_counter() - started
    with db.begin_read() as conn:
        running = conn.execute(
            select(flow_runs.c.id).where(flow_runs.c.state_type == "RUNNING").limit(1)
        ).scalar_one()

    report, during = _timed_writes(db, running, lambda: prune(db, cutoff=cutoff_for(30)))
    _, alone = _timed_writes(db, running, lambda: time.sleep(max(1.0, report.seconds)))
    print(
        json.dumps(
            {
                "benchmark": "retention",
                "store": db.dialect,
                "runs_seeded": args.runs,
                "seed_seconds": round(seeded, 2),
                "runs_pruned": report.flow_runs,
                "rows_pruned": sum(report.counts.values()),
                "batches": report.batches,
                "prune_seconds": round(report.seconds, 2),
                "runs_pruned_per_second": round(report.flow_runs / report.seconds, 1),
                "writer_during_prune": _summary(during),
                "writer_baseline_no_prune": _summary(alone),
                "max_wait_ratio_vs_baseline": round(max(during) / max(alone), 2),
            },
            indent=2,
        )
    )
    db.dispose()


if __name__ == "__main__":
    main()
