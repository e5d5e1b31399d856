"""A big finished flow run written straight through the store functions (for the
run page's tests and ``benchmarks/ui_run_page.py``): thousands of task runs over a
dozen tasks, with some failures, and log lines."""

from __future__ import annotations

import random
import time
from typing import Any
from uuid import UUID

from sqlalchemy import update

from headwater.schemas.records import TaskRunRecord
from headwater.server.db.database import get_database
from headwater.server.db.tables import flow_runs as flow_runs_table
from headwater.server.store import flow_runs, logs, task_runs
from headwater.states import Completed, Running
from headwater.utilities.ids import new_id
from tests.server.ui.graph_data import task_run_record

TASK_NAMES = (
    "extract", "clean", "validate", "enrich", "geocode", "score",
    "dedupe", "aggregate", "join", "export", "notify", "archive",
)  # fmt: skip


def seed_flow_run(
    database_url: str,
    *,
    tasks: int,
    log_lines: int = 0,
    task_names: int = len(TASK_NAMES),
    failed_every: int = 97,
    seconds: float = 60.0,
    seed: int = 6,
) -> UUID:
    """A Completed flow run with ``tasks`` task runs spread over ``seconds`` and
    ``task_names`` tasks (every ``failed_every``-th Failed) and ``log_lines`` logs."""
    rng = random.Random(seed)
    db = get_database(database_url)
    t0 = time.time() - seconds - 5
    with db.begin_write() as conn:
        created = flow_runs.create_flow_run(
            conn,
            flow_run={"flow_name": "big-etl", "name": f"big-{tasks}", "parameters": {"n": tasks}},
            state=Running(),
        )
    run_id: UUID = created["id"]
    records: list[Any] = []
    ids: list[UUID] = []
    for i in range(tasks):
        lane = i % task_names
        name = TASK_NAMES[lane % len(TASK_NAMES)] + (f"{lane}" if lane >= len(TASK_NAMES) else "")
        start = t0 + seconds * (lane / task_names) * 0.6 + rng.random() * seconds * 0.4
        end = start + rng.uniform(0.05, 2.0)
        failed = failed_every > 0 and i % failed_every == failed_every - 1
        kind = "FAILED" if failed else "COMPLETED"
        record = task_run_record(
            run_id,
            name,
            f"{name}-{i // task_names}",
            kind,
            start,
            task_key=f"{name}-{lane:08x}",
            dynamic_key=str(i // task_names),
            state_message="ValueError: bad row" if failed else None,
            state_timestamp=end,
            end_time=end,
            updated=end,
        )
        ids.append(record["id"])
        records.append(record)
    lines: list[Any] = []
    for i in range(log_lines):
        level = rng.choice((20, 20, 20, 20, 10, 30, 40))
        owner = ids[rng.randrange(len(ids))] if ids and i % 5 else None
        lines.append(
            {
                "id": new_id(),
                "flow_run_id": run_id,
                "task_run_id": owner,
                "name": "headwater.task_runs" if owner else "headwater.flow_runs",
                "level": level,
                "message": f"line {i}: processed batch {rng.randrange(10_000)}",
                "timestamp": t0 + seconds * i / max(log_lines, 1),
            }
        )
    with db.begin_write() as conn:
        for start in range(0, len(records), 1000):
            task_runs.upsert_task_runs(
                conn,
                records=[TaskRunRecord.from_dict(r) for r in records[start : start + 1000]],
            )
        for start in range(0, len(lines), 1000):
            logs.create_logs(conn, records=lines[start : start + 1000])
        flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=Completed())
        # The run's own times around its task runs', as a real run has them.
        conn.execute(
            update(flow_runs_table)
            .where(flow_runs_table.c.id == run_id)
            .values(start_time=t0 - 0.5, end_time=t0 + seconds + 2.5, expected_start_time=t0 - 1)
        )
    return run_id
