"""What the flow-run and task-run pages share: ids from the path, the log filter,
log lines as JSON for the live tail, and the timing of a run."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from headwater.server.ui.errors import PageNotFound

#: The log level filter's choices (name → lowest level shown).
LOG_LEVELS = {"": 0, "DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
LEVEL_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
MAX_SEARCH = 200
#: Lines a page opens on (the newest), and the most one live poll returns.
LOG_TAIL = 200
LIVE_BATCH = 500
FINAL_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


def parse_id(raw: str, what: str) -> UUID:
    """The id in the path, or a 404 naming it (a malformed id is just not found)."""
    try:
        return UUID(raw)
    except ValueError:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise PageNotFound(f"{what} {shown} not found: that is not a {what} id") from None


def log_filter(level: str, q: str) -> tuple[int, str, list[str]]:
    """(lowest level, search text, problems) from the page's query string; a bad value
    is dropped with a message rather than failing the page."""
    problems = []
    level_name = level.strip().upper()
    if level_name not in LOG_LEVELS:
        problems.append(f"Unknown log level {level[:20]!r}: showing every level.")
        level_name = ""
    text = q.strip()
    if len(text) > MAX_SEARCH:
        problems.append(f"The log search is limited to {MAX_SEARCH} characters.")
        text = text[:MAX_SEARCH]
    return LOG_LEVELS[level_name], text, problems


def level_name(level: int) -> str:
    return LEVEL_NAMES.get(level) or (f"LEVEL {level}" if level else "NOTSET")


def log_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "ts": row["timestamp"],
        "level": row["level"],
        "level_name": level_name(row["level"]),
        "message": row["message"],
        "task_run_id": str(row["task_run_id"]) if row["task_run_id"] else None,
        "task_name": row["task_name"],
    }


def duration_of(start: float | None, end: float | None, state_type: str) -> float | None:
    """Seconds from start to end; a run still going counts up to now."""
    if start is None:
        return None
    if end is None:
        return time.time() - start if state_type not in FINAL_TYPES else None
    return max(0.0, end - start)
