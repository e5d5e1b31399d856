"""Task-run records: one transition function, snapshots that stay put, the JSON form,
and no other code changing a record's state."""

from __future__ import annotations

import ast
import time
from pathlib import Path
from uuid import uuid4

from headwater.schemas.records import (
    PLAIN_HISTORY,
    TASK_RUN_FIELDS,
    TaskRunRecord,
    new_task_run_record,
    plain_history,
    transition,
)
from headwater.server.db.tables import task_runs
from headwater.states import StateType

PACKAGE = Path(__file__).resolve().parents[2] / "headwater"


def _record() -> TaskRunRecord:
    return new_task_run_record(uuid4(), uuid4(), "t-abc", "0", "t-0", ["a"], 1, 100.0)


def test_a_plain_run_keeps_an_empty_stored_history() -> None:
    record = _record()
    transition(record, StateType.RUNNING, "Running", now=101.0)
    assert (record.run_count, record.start_time, record.end_time) == (1, 101.0, None)
    transition(record, StateType.COMPLETED, "Completed", now=102.0)
    assert (record.state_type, record.state_name, record.state_timestamp) == (
        "COMPLETED",
        "Completed",
        102.0,
    )
    assert (record.end_time, record.updated) == (102.0, 102.0)
    assert record.transitions == [] and record.transitions is PLAIN_HISTORY
    assert PLAIN_HISTORY == []
    rebuilt = plain_history(
        record.created,
        record.start_time,
        record.state_type,
        record.state_name,
        record.state_timestamp,
        record.state_message,
    )
    assert rebuilt == [
        ["PENDING", "Pending", 100.0, None],
        ["RUNNING", "Running", 101.0, None],
        ["COMPLETED", "Completed", 102.0, None],
    ]


def test_a_retried_run_stores_its_whole_history() -> None:
    record = _record()
    transition(record, StateType.RUNNING, "Running", now=101.0)
    transition(record, StateType.FAILED, "Failed", "boom", 102.0, keep_history=True)
    transition(record, StateType.SCHEDULED, "AwaitingRetry", "boom", 102.0, keep_history=True)
    assert record.end_time is None, "a run waiting for its retry has not ended"
    transition(record, StateType.RUNNING, "Retrying", now=103.0)
    transition(record, StateType.COMPLETED, "Completed", now=104.0)
    assert record.run_count == 2 and record.start_time == 101.0 and record.end_time == 104.0
    assert [t[1] for t in record.transitions] == [
        "Pending",
        "Running",
        "Failed",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    assert record.transitions[:3] == [
        ["PENDING", "Pending", 100.0, None],
        ["RUNNING", "Running", 101.0, None],
        ["FAILED", "Failed", 102.0, "boom"],
    ]


def test_a_copy_does_not_move_with_its_original() -> None:
    record = _record()
    transition(record, StateType.RUNNING, "Running")
    running = record.copy()
    transition(record, StateType.FAILED, "Failed", "x", keep_history=True)
    retrying = record.copy()
    transition(record, StateType.SCHEDULED, "AwaitingRetry", "x", keep_history=True)
    transition(record, StateType.RUNNING, "Retrying")
    assert (running.state_name, running.transitions, running.run_count) == ("Running", [], 1)
    assert [t[1] for t in retrying.transitions] == ["Pending", "Running", "Failed"]
    assert retrying.transitions is not record.transitions
    assert record.run_count == 2 and len(record.transitions) == 5


def test_the_json_form_round_trips_and_matches_the_table() -> None:
    record = _record()
    transition(record, StateType.RUNNING, "Running", now=time.time())
    data = record.to_dict()
    assert list(data) == list(TASK_RUN_FIELDS)
    # Every column but the background-task queue's (``task.delay``: written by the
    # task queue, never by a record).
    from headwater.server.store.task_runs import QUEUE_COLUMNS

    assert set(TASK_RUN_FIELDS) == {column.name for column in task_runs.c} - set(QUEUE_COLUMNS)
    again = TaskRunRecord.from_dict(data)
    assert again.to_dict() == data
    assert TaskRunRecord.from_dict({**data, "state_type": StateType.FAILED}).state_type == "FAILED"


STATE_FIELDS = {"state_type", "state_name", "state_message", "state_timestamp", "end_time"}


def _state_writes(tree: ast.AST) -> list[int]:
    """Lines that assign a record's state field, as an attribute or a dict key."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in STATE_FIELDS:
                lines.append(node.lineno)
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.slice, ast.Constant)
                and target.slice.value in STATE_FIELDS
            ):
                lines.append(node.lineno)
    return lines


def test_only_transition_changes_a_record_state() -> None:
    """The client side changes task-run state through ``transition`` only (the server
    builds rows from records and reads them back, so it is not scanned)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("server/") or relative == "schemas/records.py":
            continue
        for line in _state_writes(ast.parse(path.read_text())):
            offenders.append(f"{relative}:{line}")
    assert offenders == []
