"""Why a flow run failed: the first task run that failed or crashed (by when it
ended), its message, and the traceback its last ERROR log line carries; or, when
no task failed, the flow's own last ERROR line with a traceback."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from headwater.server.db.tables import logs, task_runs

_C = task_runs.c
_FAILED = ("FAILED", "CRASHED")


def read_failure(conn: Connection, *, flow_run_id: UUID) -> dict[str, Any] | None:
    """``{"task_run_id", "name", "state_type", "state_name", "message", "traceback",
    "failed_tasks"}`` (``task_run_id`` None when the flow itself failed), or None
    when there is nothing to show."""
    first = conn.execute(
        select(_C.id, _C.name, _C.state_type, _C.state_name, _C.state_message)
        .where(_C.flow_run_id == flow_run_id, _C.state_type.in_(_FAILED))
        .order_by(_C.state_timestamp, _C.id)
        .limit(1)
    ).first()
    if first is None:
        line = _last_error(conn, flow_run_id, None)
        if line is None:
            return None
        return {
            "task_run_id": None,
            "name": None,
            "state_type": None,
            "state_name": None,
            "message": _first_line(line),
            "traceback": line,
        }
    return {
        "task_run_id": first.id,
        "name": first.name,
        "state_type": first.state_type,
        "state_name": first.state_name,
        "message": first.state_message or "",
        "traceback": _last_error(conn, flow_run_id, first.id),
    }


def _last_error(conn: Connection, flow_run_id: UUID, task_run_id: UUID | None) -> str | None:
    """The newest ERROR-or-worse line of the task run (or of the flow itself when
    ``task_run_id`` is None) that carries a traceback, else its newest error line."""
    owner = logs.c.task_run_id == task_run_id if task_run_id else logs.c.task_run_id.is_(None)
    rows = conn.execute(
        select(logs.c.message)
        .where(logs.c.flow_run_id == flow_run_id, owner, logs.c.level >= 40)
        .order_by(logs.c.timestamp.desc(), logs.c.id.desc())
        .limit(20)
    ).all()
    for row in rows:
        if "Traceback (most recent call last)" in row.message:
            return str(row.message)
    return str(rows[0].message) if rows and task_run_id else None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
