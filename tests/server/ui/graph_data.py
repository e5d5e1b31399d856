"""Flow runs with lineage, written straight through the store functions (for the
run graph's tests and ``benchmarks/run_graph.py``): a grid of ``layers`` x ``width``
task runs where each feeds the next layer (an input and a ``wait_for``), one of
them retried twice, a mapped task, and a failing one with its traceback logged."""

from __future__ import annotations

import time
import zlib
from typing import Any
from uuid import UUID

from headwater.schemas.records import TaskRunRecord
from headwater.server.db.database import get_database
from headwater.server.store import flow_runs, logs, task_runs
from headwater.states import Completed, Failed, Running
from headwater.utilities.ids import new_id
from tests.client.conformance.records import task_record

TRACEBACK = (
    "Finished in state Failed('ValueError: bad row 17')\n"
    "Traceback (most recent call last):\n"
    '  File "etl.py", line 12, in load\n'
    "    raise ValueError('bad row 17')\n"
    "ValueError: bad row 17"
)


def task_run_record(
    run_id: UUID, key: str, name: str, kind: str, start: float, **extra: Any
) -> Any:
    """A task run of ``key`` (its task) as a plain dict, run from ``start`` for half a
    second and ended in ``kind``; ``extra`` replaces any field."""
    fields: dict[str, Any] = {
        "id": new_id(),
        "task_key": f"{key}-{zlib.crc32(key.encode()):08x}",
        "dynamic_key": name.rsplit("-", 1)[-1],
        "name": name,
        "state_type": kind,
        "state_name": kind.capitalize(),
        "state_timestamp": start + 0.5,
        "start_time": start,
        "end_time": start + 0.5,
        "created": start - 0.01,
        "updated": start + 0.5,
    }
    fields.update(extra)
    return task_record(run_id, **fields).to_dict()


def seed_graph_run(
    database_url: str,
    *,
    layers: int,
    width: int,
    mapped: int = 0,
    failing: bool = False,
    final: bool = True,
) -> dict[str, Any]:
    """A flow run whose task runs form a ``layers`` x ``width`` grid; returns
    ``{"id", "first", "retried", "mapped", "failing"}`` (ids; ``mapped`` the first call)."""
    db = get_database(database_url)
    with db.begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn,
            flow_run={"flow_name": "lineage", "name": f"grid-{layers}x{width}"},
            state=Running(),
        )
    run_id: UUID = run["id"]
    t0 = time.time() - layers - 30
    records: list[dict[str, Any]] = []
    previous: list[UUID] = []
    for layer in range(layers):
        current: list[UUID] = []
        for col in range(width):
            start = t0 + layer + col * 0.001
            extra: dict[str, Any] = {}
            if previous:
                extra["inputs"] = {
                    "x": [str(previous[col])],
                    "__wait_for__": [str(previous[(col + 1) % width])],
                }
            record = task_run_record(
                run_id, f"step{col}", f"step{col}-{layer}", "COMPLETED", start, **extra
            )
            records.append(record)
            current.append(record["id"])
        previous = current
    first = records[0]["id"]
    # The second task run was retried twice: three attempts, the last one Completed.
    retried = records[min(1, len(records) - 1)]
    s = retried["start_time"]
    retried.update(
        run_count=3,
        end_time=s + 0.9,
        state_timestamp=s + 0.9,
        transitions=[
            ["PENDING", "Pending", s - 0.01, None],
            ["RUNNING", "Running", s, None],
            ["FAILED", "Failed", s + 0.2, "flaky"],
            ["SCHEDULED", "AwaitingRetry", s + 0.2, "flaky"],
            ["RUNNING", "Running", s + 0.3, None],
            ["FAILED", "Failed", s + 0.5, "flaky"],
            ["SCHEDULED", "AwaitingRetry", s + 0.5, "flaky"],
            ["RUNNING", "Running", s + 0.6, None],
            ["COMPLETED", "Completed", s + 0.9, None],
        ],
    )
    mapped_first = None
    for i in range(mapped):
        record = task_run_record(
            run_id,
            "score",
            f"score-{i}",
            "COMPLETED",
            t0 + 1 + i * 0.01,
            inputs={"row": [str(first)]},
        )
        records.append(record)
        mapped_first = mapped_first or record["id"]
    failing_id = None
    lines: list[dict[str, Any]] = []
    if failing:
        record = task_run_record(
            run_id, "load", "load-0", "FAILED", t0 + 2, state_message="ValueError: bad row 17",
            inputs={"rows": [str(first)]},
        )  # fmt: skip
        records.append(record)
        failing_id = record["id"]
        lines.append(
            {
                "id": new_id(),
                "flow_run_id": run_id,
                "task_run_id": failing_id,
                "name": "headwater.task_runs",
                "level": 40,
                "message": TRACEBACK,
                "timestamp": t0 + 2.5,
            }
        )
    with db.begin_write() as conn:
        for at in range(0, len(records), 1000):
            batch = [TaskRunRecord.from_dict(r) for r in records[at : at + 1000]]
            task_runs.upsert_task_runs(conn, records=batch)
        if lines:
            logs.create_logs(conn, records=lines)
        if final:
            state = Failed(message="1 task failed") if failing else Completed()
            flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=state)
    return {
        "id": run_id,
        "first": first,
        "retried": retried["id"],
        "mapped": mapped_first,
        "failing": failing_id,
    }
