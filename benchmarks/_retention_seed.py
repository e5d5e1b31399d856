"""Fill a store fast with old finished runs (and some that must stay) for retention.

Used by ``benchmarks/retention.py`` and the retention tests: SQLAlchemy Core
``executemany`` in big batches, as ``benchmarks/ui_seed.py`` does.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

DAY = 86_400.0
CHUNK = 5_000


@dataclass
class Seeded:
    """What was written: the old finished runs (to go) and the kept ones."""

    old_runs: int
    kept_runs: int
    tasks_per_run: int
    logs_per_run: int
    states_per_run: int
    flow_id: uuid.UUID


def seed(
    db: Any,
    *,
    old: int,
    kept: int = 0,
    tasks_per_run: int = 1,
    logs_per_run: int = 1,
    flow_name: str | None = None,
    now: float | None = None,
) -> Seeded:
    """``old`` runs Completed 60 days ago and ``kept`` runs that must stay (a third
    Running 60 days old, a third Scheduled, a third Completed yesterday)."""
    from headwater.server.db.tables import flow_run_states, flow_runs, flows, logs, task_runs

    now = time.time() if now is None else now
    flow_id = uuid.uuid4()
    with db.begin_write() as conn:
        conn.execute(
            flows.insert(),
            [
                {
                    "id": flow_id,
                    "name": flow_name or f"retention-seed-{flow_id.hex[:8]}",
                    "tags": [],
                    "created": now,
                    "updated": now,
                }
            ],
        )
    kinds = [("COMPLETED", "Completed", now - 60 * DAY)] * old
    for i in range(kept):
        kinds.append(
            (
                ("RUNNING", "Running", now - 60 * DAY),
                ("SCHEDULED", "Scheduled", now + DAY),
                ("COMPLETED", "Completed", now - DAY),
            )[i % 3]
        )
    for start in range(0, len(kinds), CHUNK):
        runs, states, tasks, lines = [], [], [], []
        for state_type, state_name, when in kinds[start : start + CHUNK]:
            run_id = uuid.uuid4()
            final = state_type == "COMPLETED"
            runs.append(_run(run_id, flow_id, state_type, state_name, when, final))
            states.append(_state(run_id, "PENDING", "Pending", when - 1))
            states.append(_state(run_id, state_type, state_name, when))
            for t in range(tasks_per_run):
                tasks.append(_task(run_id, t, when))
            for n in range(logs_per_run):
                lines.append(_log(run_id, n, when))
        with db.begin_write() as conn:
            conn.execute(flow_runs.insert(), runs)
            conn.execute(flow_run_states.insert(), states)
            if tasks:
                conn.execute(task_runs.insert(), tasks)
            if lines:
                conn.execute(logs.insert(), lines)
    return Seeded(old, kept, tasks_per_run, logs_per_run, 2, flow_id)


def _run(
    run_id: uuid.UUID, flow_id: uuid.UUID, state_type: str, name: str, when: float, final: bool
) -> dict[str, Any]:
    return {
        "id": run_id,
        "flow_id": flow_id,
        "name": f"seeded-{run_id.hex[:10]}",
        "flow_version": None,
        "parameters": {},
        "tags": [],
        "parent_flow_run_id": None,
        "parent_task_run_id": None,
        "idempotency_key": None,
        "state_type": state_type,
        "state_name": name,
        "state_message": None,
        "state_timestamp": when,
        "state_details": {},
        "run_count": 1,
        "empirical_policy": {},
        "expected_start_time": when - 10,
        "next_scheduled_start_time": None,
        "start_time": when - 5 if state_type != "SCHEDULED" else None,
        "end_time": when if final else None,
        "total_run_time": 5.0 if final else 0.0,
        "created": when - 10,
        "updated": when,
        "auto_scheduled": False,
    }


def _state(run_id: uuid.UUID, state_type: str, name: str, when: float) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "flow_run_id": run_id,
        "type": state_type,
        "name": name,
        "message": None,
        "timestamp": when,
        "details": {},
    }


def _task(run_id: uuid.UUID, index: int, when: float) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "flow_run_id": run_id,
        "task_key": "seeded-task",
        "dynamic_key": str(index),
        "name": f"seeded-task-{index}",
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "state_message": None,
        "state_timestamp": when,
        "transitions": [],
        "tags": [],
        "inputs": {},
        "run_count": 1,
        "flow_run_attempt": 1,
        "cache_key": None,
        "start_time": when - 2,
        "end_time": when - 1,
        "created": when - 3,
        "updated": when - 1,
        "result": None,
    }


def _log(run_id: uuid.UUID, index: int, when: float) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "flow_run_id": run_id,
        "task_run_id": None,
        "name": "headwater.flow_runs",
        "level": 20,
        "message": f"seeded line {index}",
        "timestamp": when - 1,
    }


def timed_log_writer(db: Any, run_id: Any, stop: threading.Event, waits: list[float]) -> None:
    """Write one log line at a time, as a busy API would, until ``stop``; each write's
    time (waiting for the store included) goes to ``waits``."""
    from headwater.server.db.tables import logs

    while not stop.is_set():
        started = time.perf_counter()
        with db.begin_write() as conn:
            conn.execute(
                logs.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "flow_run_id": run_id,
                        "task_run_id": None,
                        "name": "writer",
                        "level": 20,
                        "message": "x",
                        "timestamp": time.time(),
                    }
                ],
            )
        waits.append(time.perf_counter() - started)
        time.sleep(0.002)


def timed_writes(db: Any, during: Any) -> tuple[Any, list[float]]:
    """Run ``during()`` while a thread writes one log line at a time to the seeded
    Running run (``timed_log_writer``): what it returned, and each write's time."""
    from sqlalchemy import select

    from headwater.server.db.tables import flow_runs

    with db.begin_read() as conn:
        run_id = conn.execute(
            select(flow_runs.c.id).where(flow_runs.c.state_type == "RUNNING").limit(1)
        ).scalar_one()
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


def wait_summary(waits: list[float]) -> dict[str, float]:
    """The longest, 99th percentile and median of ``waits`` (ms), and how many waited
    over 100 ms."""
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "writes": len(waits),
        "max_ms": round(ordered[-1] * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "median_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "over_100_ms": sum(1 for wait in ordered if wait > 0.1),
    }
