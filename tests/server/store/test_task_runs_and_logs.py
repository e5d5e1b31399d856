"""Bulk task-run upserts and logs, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from headwater.schemas.filters import LogFilter, TaskRunFilter
from headwater.schemas.records import TaskRunRecord
from headwater.server.db.database import get_database
from headwater.server.store import flow_runs, logs, task_runs
from headwater.states import Running
from headwater.utilities.ids import new_id


def _flow_run(url: str) -> Any:
    with get_database(url).begin_write() as conn:
        created = flow_runs.create_flow_run(
            conn, flow_run={"flow_name": "f", "name": "r"}, state=Running()
        )
    return created["id"]


def _typed(*records: dict[str, Any]) -> list[TaskRunRecord]:
    return [TaskRunRecord.from_dict(record) for record in records]


def _record(flow_run_id: Any, i: int, state: str = "COMPLETED", **extra: Any) -> dict[str, Any]:
    now = time.time()
    record = {
        "id": new_id(),
        "flow_run_id": flow_run_id,
        "task_key": "t-abc",
        "dynamic_key": str(i),
        "name": f"t-{i}",
        "state_type": state,
        "state_name": state.capitalize(),
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": ["a"],
        "inputs": {},
        "run_count": 1,
        "flow_run_attempt": 1,
        "cache_key": None,
        "result": None,
        "start_time": now,
        "end_time": now if state == "COMPLETED" else None,
        "created": now,
        "updated": now,
    }
    record.update(extra)
    return record


def test_upsert_inserts_updates_and_ignores_stale_records(database_url: str) -> None:
    run_id = _flow_run(database_url)
    db = get_database(database_url)
    running = _record(run_id, 0, "RUNNING")
    with db.begin_write() as conn:
        task_runs.upsert_task_runs(conn, records=_typed(running, _record(run_id, 1)))
    done = {
        **running,
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "updated": running["updated"] + 1,
        "end_time": running["start_time"] + 1,
    }
    stale = {**running, "state_name": "Stale", "updated": running["updated"] - 10}
    with db.begin_write() as conn:
        task_runs.upsert_task_runs(conn, records=_typed(done))
        task_runs.upsert_task_runs(conn, records=_typed(stale))
    with db.begin_read() as conn:
        stored = task_runs.read_task_run(conn, task_run_id=running["id"])
        listed = task_runs.read_task_runs(
            conn, task_run_filter=TaskRunFilter(flow_run_ids=[run_id])
        )
        assert (
            task_runs.count_task_runs(conn, task_run_filter=TaskRunFilter(task_keys=["t-abc"])) == 2
        )
    assert stored.state.name == "Completed"
    assert stored.duration == 1
    assert [t.name for t in stored.transitions] == ["Pending", "Running", "Completed"]
    assert [r.name for r in listed] == ["t-0", "t-1"]


def test_explicit_transitions_and_lineage_round_trip(database_url: str) -> None:
    run_id = _flow_run(database_url)
    now = time.time()
    upstream = new_id()
    record = _record(
        run_id,
        0,
        transitions=[["PENDING", "Pending", now, None], ["FAILED", "Failed", now, "x"]],
        inputs={"rows": [str(upstream)]},
    )
    db = get_database(database_url)
    with db.begin_write() as conn:
        task_runs.upsert_task_runs(conn, records=_typed(record))
    with db.begin_read() as conn:
        stored = task_runs.read_task_run(conn, task_run_id=record["id"])
    assert [t.message for t in stored.transitions] == [None, "x"]
    assert stored.inputs == {"rows": [upstream]}
    assert stored.tags == ["a"]


def test_logs_are_idempotent_and_filtered(database_url: str) -> None:
    run_id = _flow_run(database_url)
    now = time.time()
    records = [
        {
            "id": new_id(),
            "flow_run_id": run_id,
            "task_run_id": None,
            "name": "n",
            "level": level,
            "message": f"message {i}",
            "timestamp": now + i,
        }
        for i, level in enumerate([10, 20, 30, 40])
    ]
    db = get_database(database_url)
    with db.begin_write() as conn:
        logs.create_logs(conn, records=records)
        logs.create_logs(conn, records=records[:2])  # a retried batch adds nothing
    with db.begin_read() as conn:
        everything = logs.read_logs(conn, log_filter=LogFilter(flow_run_id=run_id))
        warnings = logs.read_logs(conn, log_filter=LogFilter(flow_run_id=run_id, level_ge=30))
        page = logs.read_logs(conn, log_filter=LogFilter(flow_run_id=run_id), limit=2, offset=1)
        text = logs.read_logs(conn, log_filter=LogFilter(text="MESSAGE 3"))
    assert [log.message for log in everything] == [f"message {i}" for i in range(4)]
    assert [log.level for log in warnings] == [30, 40]
    assert [log.message for log in page] == ["message 1", "message 2"]
    assert [log.message for log in text] == ["message 3"]


def _statements(db: Any) -> Any:
    """A list that collects ``(executemany, rows)`` of every statement on ``db``'s
    task_runs and logs tables while the context is open."""
    import contextlib

    from sqlalchemy import event

    @contextlib.contextmanager
    def collecting() -> Any:
        seen: list[tuple[bool, int]] = []

        def before(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool):
            if sql.startswith(("INSERT INTO task_runs", "INSERT INTO logs")):
                seen.append((many, len(params) if many else 1))

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return collecting()


def test_a_batch_is_one_statement_on_postgresql(database_url: str) -> None:
    """On PostgreSQL a batch of logs or task runs is one statement (it was one per row);
    a task run twice in the batch takes a second one, with the first's outcome."""
    run_id = _flow_run(database_url)
    db = get_database(database_url)
    records = [_record(run_id, i, "RUNNING") for i in range(50)]
    later = [
        {**r, "state_type": "COMPLETED", "state_name": "Completed", "updated": r["updated"] + 1}
        for r in records[:10]
    ]
    stale = {**records[10], "state_name": "Stale", "updated": records[10]["updated"] - 1}
    now = time.time()
    lines = [
        {
            "id": new_id(),
            "flow_run_id": run_id,
            "task_run_id": None,
            "name": "n",
            "level": 20,
            "message": f"line {i}",
            "timestamp": now + i,
        }
        for i in range(50)
    ]
    with _statements(db) as seen, db.begin_write() as conn:
        task_runs.upsert_task_runs(conn, records=_typed(*records, *later, stale))
        logs.create_logs(conn, records=[*lines, lines[0]])  # a line twice: stored once
    if db.dialect == "postgresql":
        assert seen == [(False, 1), (False, 1), (False, 1)], seen
    with db.begin_read() as conn:
        stored = task_runs.read_task_runs(
            conn, task_run_filter=TaskRunFilter(flow_run_ids=[run_id])
        )
        stored_lines = logs.read_logs(conn, log_filter=LogFilter(flow_run_id=run_id), limit=200)
    states = {t.name: t.state.name for t in stored}
    assert len(states) == 50
    assert [states[f"t-{i}"] for i in range(12)] == ["Completed"] * 10 + ["Running"] * 2
    assert len(stored_lines) == 50
