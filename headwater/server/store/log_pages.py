"""A flow run's logs a page at a time (keyset on ``(timestamp, id)``, both ways),
filtered by level, text and task, and as plain text for a download.

``task`` is a task's key (every call of one ``@task``), ``"flow"`` for the lines
the flow itself wrote, or empty for all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from headwater.server.db.database import Database
from headwater.server.db.tables import logs, task_runs
from headwater.server.db.text_match import contains_text
from headwater.server.store.pagination import SortKey, after, cursor_for, decode_cursor
from headwater.server.store.run_graph import task_label

FLOW_ONLY = "flow"
_LEVELS = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
_OLDEST_FIRST = (SortKey(logs.c.timestamp), SortKey(logs.c.id, kind=UUID))
_NEWEST_FIRST = (
    SortKey(logs.c.timestamp, descending=True),
    SortKey(logs.c.id, descending=True, kind=UUID),
)
#: A log line with its task run's name (``task_name``, None for the flow's own).
LOG_LINES = select(
    logs.c.id,
    logs.c.task_run_id,
    logs.c.level,
    logs.c.message,
    logs.c.timestamp,
    task_runs.c.name.label("task_name"),
).outerjoin(task_runs, task_runs.c.id == logs.c.task_run_id)


def _filtered(query: Any, flow_run_id: UUID, level_ge: int, text: str, task: str) -> Any:
    query = query.where(logs.c.flow_run_id == flow_run_id)
    if level_ge > 0:
        query = query.where(logs.c.level >= level_ge)
    if text:
        query = query.where(contains_text(logs.c.message, text))
    if task == FLOW_ONLY:
        query = query.where(logs.c.task_run_id.is_(None))
    elif task:
        query = query.where(task_runs.c.task_key == task)
    return query


def read_log_page(
    conn: Connection,
    *,
    flow_run_id: UUID,
    level_ge: int = 0,
    text: str = "",
    task: str = "",
    before: str | None = None,
    after_cursor: str | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """One page of lines, oldest first: the newest ``limit`` (no cursor), those
    just older than ``before`` or just newer than ``after_cursor``.  Returns
    ``{"rows", "older", "newer"}``: the cursors of the next pages (None at an end).
    ``InvalidCursor`` for a cursor this server did not make."""
    base = _filtered(LOG_LINES, flow_run_id, level_ge, text, task)
    forward = bool(after_cursor)
    name, keys = ("LOGS_ASC", _OLDEST_FIRST) if forward else ("LOGS_DESC", _NEWEST_FIRST)
    cursor = after_cursor if forward else before
    if cursor:
        base = base.where(after(keys, decode_cursor(cursor, name, keys)))
    rows = list(conn.execute(base.order_by(*(key.order() for key in keys)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    # Older pages exist past a full backward page, or behind any forward one; newer
    # ones past a full forward page, or in front of a backward page that had a cursor.
    has_older = more if not forward else True
    has_newer = more if forward else bool(before)
    older = cursor_for("LOGS_DESC", _NEWEST_FIRST, rows[0]) if rows and has_older else None
    newer = cursor_for("LOGS_ASC", _OLDEST_FIRST, rows[-1]) if rows and has_newer else None
    return {"rows": [dict(row._mapping) for row in rows], "older": older, "newer": newer}


def count_log_lines(
    conn: Connection, *, flow_run_id: UUID, level_ge: int = 0, text: str = "", task: str = ""
) -> int:
    joined = task and task != FLOW_ONLY
    source = logs.join(task_runs, task_runs.c.id == logs.c.task_run_id) if joined else logs
    query = select(func.count()).select_from(source)
    return int(conn.execute(_filtered(query, flow_run_id, level_ge, text, task)).scalar_one())


def read_logs_since(
    conn: Connection,
    *,
    flow_run_id: UUID,
    since: float | None,
    level_ge: int = 0,
    text: str = "",
    task: str = "",
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The live tail: the first ``limit`` lines stamped after ``since`` (or the
    newest ``limit`` without it), oldest first."""
    if since is None:
        return read_log_page(
            conn, flow_run_id=flow_run_id, level_ge=level_ge, text=text, task=task, limit=limit
        )["rows"]
    query = _filtered(LOG_LINES, flow_run_id, level_ge, text, task).where(logs.c.timestamp > since)
    query = query.order_by(logs.c.timestamp, logs.c.id).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def read_log_tasks(
    conn: Connection, *, flow_run_id: UUID, limit: int = 500
) -> list[dict[str, str]]:
    """The run's tasks (``{"key", "label"}``, by label) for the log filter: at most
    ``limit`` of them."""
    query = (
        select(task_runs.c.task_key)
        .where(task_runs.c.flow_run_id == flow_run_id)
        .distinct()
        .limit(limit)
    )
    keys = [row.task_key for row in conn.execute(query)]
    return sorted(({"key": k, "label": task_label(k)} for k in keys), key=lambda t: t["label"])


def iter_log_text(
    db: Database,
    *,
    flow_run_id: UUID,
    level_ge: int = 0,
    text: str = "",
    task: str = "",
    batch: int = 5000,
) -> Iterator[str]:
    """Every matching line as text, oldest first, ``batch`` lines per read
    transaction (a download of a million lines holds no transaction open)."""
    from datetime import datetime, timezone

    position: list[Any] | None = None
    while True:
        query = _filtered(LOG_LINES, flow_run_id, level_ge, text, task)
        if position is not None:
            query = query.where(after(_OLDEST_FIRST, position))
        query = query.order_by(*(key.order() for key in _OLDEST_FIRST)).limit(batch)
        with db.begin_read() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return
        chunk = []
        for row in rows:
            when = datetime.fromtimestamp(row.timestamp, timezone.utc).isoformat(
                timespec="milliseconds"
            )
            who = row.task_name or "flow"
            level = _LEVELS.get(row.level, str(row.level))
            chunk.append(f"{when} {level:<8} {who} | {row.message}\n")
        yield "".join(chunk)
        last = rows[-1]
        position = [last.timestamp, last.id]
        if len(rows) < batch:
            return
