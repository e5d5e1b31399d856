"""Fill a store with many runs for the UI benchmark (100,000 flow runs, 1,000,000 task runs).

    python benchmarks/ui_seed.py --url sqlite:////tmp/ui-bench.db [--runs 100000]
    python benchmarks/ui_seed.py --url 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_ui'

The store is opened with ``get_database`` (so the migrations run, indexes included)
and filled with SQLAlchemy Core ``executemany`` in big batches.  The shape is meant
to look like a busy installation: ~20 flows, 10 deployments on 2 work pools, runs
spread over the last 30 days (a few scheduled ahead, some late, some running), a mix
of final states, tags on some runs, and ``--tasks-per-run`` task runs per flow run.
A store that already holds the seeded flows with at least ``--runs`` runs is reused
as it is (seeding 1M task runs takes minutes); ``--force`` seeds again on top.

Prints one JSON object: counts and seconds taken.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

DAY = 86_400.0
FLOW_PREFIX = "ui-bench-flow-"
TAGS = ("prod", "staging", "nightly", "etl", "ml", "backfill", "critical", "reports")
WORDS = ("amber", "brisk", "calm", "dusky", "eager", "fuzzy", "gentle", "hazy", "icy", "jolly")
ANIMALS = ("otter", "heron", "lynx", "badger", "falcon", "marmot", "newt", "osprey", "puffin")
#: (state type, state name, weight) of runs that are over.
FINAL_MIX = (
    ("COMPLETED", "Completed", 86),
    ("FAILED", "Failed", 8),
    ("CRASHED", "Crashed", 2),
    ("CANCELLED", "Cancelled", 4),
)


def ensure_store(url: str) -> Any:
    """The store at ``url`` with its schema at the newest revision (created if needed)."""
    if url.startswith("postgresql"):
        _ensure_pg_schema(url)
    from headwater.server.db.database import get_database

    return get_database(url)


def _ensure_pg_schema(url: str) -> None:
    """``CREATE SCHEMA`` for the ``search_path`` named in the URL's options."""
    from urllib.parse import unquote

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    options = unquote(str(make_url(url).query.get("options", "")))
    if "search_path=" not in options:
        return
    schema = options.split("search_path=", 1)[1].split()[0].split(",")[0]
    engine = create_engine(url.split("?", 1)[0])
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()


def seeded_runs(db: Any) -> int:
    from sqlalchemy import func, select

    from headwater.server.db.tables import flow_runs, flows

    with db.begin_read() as conn:
        query = (
            select(func.count())
            .select_from(flow_runs.join(flows, flows.c.id == flow_runs.c.flow_id))
            .where(flows.c.name.like(f"{FLOW_PREFIX}%"))
        )
        return int(conn.execute(query).scalar_one())


def _pools_and_deployments(db: Any, now: float, flow_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """2 work pools (a queue each, 3 workers: 2 online), 10 deployments; the deployments."""
    from headwater.server.db.tables import deployments, work_pools, work_queues, workers

    pools, queues, people, deps = [], [], [], []
    for p in range(2):
        pool_id, queue_id = uuid.uuid4(), uuid.uuid4()
        pools.append(
            {
                "id": pool_id,
                "name": f"ui-bench-pool-{p}",
                "type": "process",
                "description": None,
                "paused": False,
                "concurrency_limit": None,
                "created": now,
                "updated": now,
            }
        )
        queues.append(
            {
                "id": queue_id,
                "work_pool_id": pool_id,
                "name": "default",
                "description": None,
                "priority": 1,
                "concurrency_limit": None,
                "paused": False,
                "last_polled": now,
                "created": now,
                "updated": now,
            }
        )
        for w in range(3):
            people.append(
                {
                    "id": uuid.uuid4(),
                    "work_pool_id": pool_id,
                    "name": f"worker-{p}-{w}",
                    "hostname": "bench",
                    "pid": 1000 + w,
                    "heartbeat_seconds": 30.0,
                    # the third worker of each pool was last seen an hour ago: offline
                    "last_heartbeat": now - (3600.0 if w == 2 else 5.0),
                    "created": now,
                }
            )
    for d in range(10):
        pool = pools[d % 2]
        deps.append(
            {
                "id": uuid.uuid4(),
                "flow_id": flow_ids[d],
                "name": f"deploy-{d}",
                "description": None,
                "version": None,
                "tags": [],
                "parameters": {},
                "parameter_schema": {},
                "entrypoint": f"flows/bench.py:flow_{d}",
                "source": None,
                "pull_steps": [],
                "work_pool_id": pool["id"],
                "work_queue_id": queues[d % 2]["id"],
                "job_variables": {},
                "empirical_policy": {},
                "paused": False,
                "concurrency_limit": None,
                "collision_strategy": "enqueue",
                "missed_runs": "run_latest",
                "lateness_limit_seconds": None,
                "last_scheduler_pass": None,
                "last_polled": None,
                "created": now,
                "updated": now,
            }
        )
    with db.begin_write() as conn:
        conn.execute(work_pools.insert(), pools)
        conn.execute(work_queues.insert(), queues)
        conn.execute(workers.insert(), people)
        conn.execute(deployments.insert(), deps)
    return deps


def _state_for(rng: random.Random, expected: float, now: float) -> tuple[str, str]:
    if expected > now:
        return "SCHEDULED", "Scheduled"
    age = now - expected
    if age < 3600 and rng.random() < 0.25:
        return rng.choice((("RUNNING", "Running"), ("PENDING", "Pending")))
    if rng.random() < 0.004:  # overdue and never picked up
        return "SCHEDULED", rng.choice(("Late", "Scheduled"))
    pick = rng.choices(FINAL_MIX, weights=[w for _, _, w in FINAL_MIX])[0]
    return pick[0], pick[1]


def _runs(
    rng: random.Random,
    n: int,
    now: float,
    flow_ids: list[uuid.UUID],
    deps: list[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    for i in range(n):
        # 2% scheduled up to a day ahead; the rest over the last 30 days
        if rng.random() < 0.02:
            expected = now + rng.random() * DAY
        else:
            expected = now - rng.random() * 30 * DAY
        state_type, state_name = _state_for(rng, expected, now)
        dep = rng.choice(deps) if rng.random() < 0.6 else None
        flow_id = dep["flow_id"] if dep else rng.choice(flow_ids)
        started = state_type not in ("SCHEDULED", "PENDING") or None
        start = expected + rng.random() * 5 if started else None
        duration = rng.lognormvariate(3.5, 1.0)
        final = state_type in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
        end = (start or expected) + duration if final else None
        if state_type == "CANCELLED" and rng.random() < 0.5:  # cancelled before starting
            start, end = None, expected + 1
        state_ts = end or start or expected
        tags = rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2)))
        yield {
            "id": uuid.uuid4(),
            "flow_id": flow_id,
            "name": f"{rng.choice(WORDS)}-{rng.choice(ANIMALS)}-{i}",
            "flow_version": None,
            "parameters": {"n": i % 100},
            "tags": tags,
            "parent_flow_run_id": None,
            "parent_task_run_id": None,
            "idempotency_key": None,
            "state_type": state_type,
            "state_name": state_name,
            "state_message": "boom: ValueError" if state_type == "FAILED" else None,
            "state_timestamp": state_ts,
            "state_details": {},
            "run_count": 1 if start else 0,
            "empirical_policy": {},
            "expected_start_time": expected,
            "next_scheduled_start_time": expected if state_type == "SCHEDULED" else None,
            "start_time": start,
            "end_time": end,
            "total_run_time": (end - start) if (start and end) else 0.0,
            "created": expected - 60,
            "updated": state_ts,
            "entrypoint": None,
            "deployment_id": dep["id"] if dep else None,
            "work_pool_id": dep["work_pool_id"] if dep else None,
            "work_queue_id": dep["work_queue_id"] if dep else None,
            "schedule_id": None,
            "auto_scheduled": bool(dep) and rng.random() < 0.5,
            "worker_name": "worker-0-0" if dep and start else None,
            "infrastructure_pid": None,
            "heartbeat": None,
        }


def _states_of(run: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    if run["start_time"] is not None and run["state_type"] != "RUNNING":
        rows.append(("RUNNING", "Running", run["start_time"]))
    rows.append((run["state_type"], run["state_name"], run["state_timestamp"]))
    return [
        {
            "id": uuid.uuid4(),
            "flow_run_id": run["id"],
            "type": t,
            "name": name,
            "message": None,
            "timestamp": ts,
            "details": {},
        }
        for t, name, ts in rows
    ]


def _tasks_of(rng: random.Random, run: dict[str, Any], per_run: int) -> list[dict[str, Any]]:
    start = run["start_time"]
    if start is None or per_run == 0:
        return []
    end = run["end_time"] or start + 60
    step = max(0.001, (end - start) / per_run)
    tasks = []
    for k in range(per_run):
        t0 = start + k * step
        failed = run["state_type"] == "FAILED" and k == per_run - 1
        kind, name = ("FAILED", "Failed") if failed else ("COMPLETED", "Completed")
        tasks.append(
            {
                "id": uuid.uuid4(),
                "flow_run_id": run["id"],
                "task_key": f"bench.step_{k}",
                "dynamic_key": "0",
                "name": f"step_{k}-0",
                "state_type": kind,
                "state_name": name,
                "state_message": None,
                "state_timestamp": t0 + step,
                "transitions": [],
                "tags": [],
                "inputs": {},
                "run_count": 1,
                "flow_run_attempt": 1,
                "cache_key": None,
                "start_time": t0,
                "end_time": t0 + step,
                "created": t0,
                "updated": t0 + step,
                "result": None,
            }
        )
    return tasks


def seed(db: Any, *, runs: int, tasks_per_run: int, batch: int, seed_value: int) -> dict[str, Any]:
    from headwater.server.db.tables import flow_run_states, flow_runs, flows, task_runs

    rng = random.Random(seed_value)
    now = time.time()
    started = time.perf_counter()
    flow_rows = [
        {
            "id": uuid.uuid4(),
            "name": f"{FLOW_PREFIX}{uuid.uuid4().hex[:6]}-{f:02d}",
            "tags": [],
            "created": now,
            "updated": now,
        }
        for f in range(20)
    ]
    with db.begin_write() as conn:
        conn.execute(flows.insert(), flow_rows)
    flow_ids = [row["id"] for row in flow_rows]
    deps = _pools_and_deployments(db, now, flow_ids)
    made = {"flow_runs": 0, "task_runs": 0, "states": 0}
    pending: list[dict[str, Any]] = []
    for run in _runs(rng, runs, now, flow_ids, deps):
        pending.append(run)
        if len(pending) >= batch:
            _write(db, pending, rng, tasks_per_run, made, flow_runs, flow_run_states, task_runs)
            pending = []
            print(f"[ui_seed] {made['flow_runs']} runs", file=sys.stderr, flush=True)
    if pending:
        _write(db, pending, rng, tasks_per_run, made, flow_runs, flow_run_states, task_runs)
    return {**made, "seconds": round(time.perf_counter() - started, 1), "seeded_at": now}


def _write(
    db: Any,
    runs: list[dict[str, Any]],
    rng: random.Random,
    per_run: int,
    made: dict[str, int],
    flow_runs: Any,
    flow_run_states: Any,
    task_runs: Any,
) -> None:
    states = [s for run in runs for s in _states_of(run)]
    tasks: list[dict[str, Any]] = []
    for i, run in enumerate(runs):  # runs that never started have none: others make up
        want = (made["flow_runs"] + i + 1) * per_run - made["task_runs"]
        if run["start_time"] is not None:
            tasks.extend(_tasks_of(rng, run, max(0, want - len(tasks))))
    with db.begin_write() as conn:
        conn.execute(flow_runs.insert(), runs)
        conn.execute(flow_run_states.insert(), states)
        for i in range(0, len(tasks), 20_000):
            conn.execute(task_runs.insert(), tasks[i : i + 20_000])
    made["flow_runs"] += len(runs)
    made["states"] += len(states)
    made["task_runs"] += len(tasks)


def analyze(db: Any) -> None:
    """Fresh planner statistics (what a long-running store would have)."""
    from sqlalchemy import text

    with db.begin_write() as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="store URL (sqlite:///… or postgresql…)")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--tasks-per-run", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5_000, help="flow runs per transaction")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--force", action="store_true", help="seed even if runs are there")
    options = parser.parse_args()
    db = ensure_store(options.url)
    have = seeded_runs(db)
    if have >= options.runs and not options.force:
        out: dict[str, Any] = {"reused": True, "flow_runs": have}
    else:
        out = seed(
            db,
            runs=options.runs,
            tasks_per_run=options.tasks_per_run,
            batch=options.batch,
            seed_value=options.seed,
        )
        analyze(db)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
