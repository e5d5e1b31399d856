"""The Transactions section of the flow-run page (``templates/_transactions.html``):
a run's transactions as rows in tree order (a nested one under its parent), each with
its outcome, the task runs that took part and the hooks that ran."""

from __future__ import annotations

from typing import Any
from uuid import UUID

#: Task runs named per transaction (the rest are counted).
TASKS_SHOWN = 50

#: outcome -> (label, badge class: the state palette)
OUTCOMES = {
    "COMMITTED": ("Committed", "state-completed"),
    "ROLLED_BACK": ("Rolled back", "state-failed"),
    "OPEN": ("Open", "state-running"),
    "DISCARDED": ("Discarded", "state-crashed"),
}


def run_transactions(conn: Any, *, flow_run_id: UUID) -> list[dict[str, Any]]:
    """The run's transactions for ``_transactions.html``, parents before children."""
    from headwater.server.store import transactions

    found = transactions.read_transactions(conn, flow_run_id=flow_run_id)
    if not found:
        return []
    shown_ids = [i for txn in found for i in txn.task_run_ids[:TASKS_SHOWN]]
    shown_ids += [h.task_run_id for txn in found for h in txn.hooks if h.task_run_id]
    labels = transactions.read_task_run_labels(conn, task_run_ids=shown_ids)
    ids = {txn.id for txn in found}
    children: dict[Any, list[Any]] = {}
    for txn in found:
        parent = txn.parent_id if txn.parent_id in ids else None
        children.setdefault(parent, []).append(txn)
    rows: list[dict[str, Any]] = []

    def visit(parent: Any, depth: int) -> None:
        for txn in children.get(parent, ()):
            rows.append(_row(txn, depth, labels))
            visit(txn.id, depth + 1)

    visit(None, 0)
    keys = {txn.id: txn.key for txn in found}
    for row, txn in zip(rows, _in_order(rows, found), strict=True):
        row["parent_key"] = keys.get(txn.parent_id) if row["depth"] else None
    return rows


def _in_order(rows: list[dict[str, Any]], found: list[Any]) -> list[Any]:
    by_id = {txn.id: txn for txn in found}
    return [by_id[row["id"]] for row in rows]


def _row(txn: Any, depth: int, labels: dict[UUID, tuple[str, str, str]]) -> dict[str, Any]:
    label, badge = OUTCOMES.get(txn.outcome, (txn.outcome.title(), "state-unknown"))
    start = txn.start_time.timestamp()
    end = txn.end_time.timestamp() if txn.end_time else None
    return {
        "id": txn.id,
        "key": txn.key,
        "implicit": txn.implicit,
        "depth": depth,
        "outcome": txn.outcome,
        "outcome_label": label,
        "badge": badge,
        "reused": txn.reused,
        "isolation_level": txn.isolation_level,
        "commit_mode": txn.commit_mode,
        "start": start,
        "duration": (end - start) if end is not None else None,
        "attempt": txn.flow_run_attempt,
        "parent_elsewhere": txn.parent_id is not None and depth == 0,
        "tasks": [_task(i, labels) for i in txn.task_run_ids[:TASKS_SHOWN]],
        # Not listed: past the first shown, or (a flow run's own transaction) counted only.
        "more_tasks": max(0, txn.task_count - len(txn.task_run_ids[:TASKS_SHOWN])),
        "hooks": [
            {
                "name": h.name,
                "kind": h.kind,
                "ok": h.ok,
                "error": h.error,
                "task": _task(h.task_run_id, labels) if h.task_run_id else None,
            }
            for h in txn.hooks
        ],
        "more_hooks": txn.hook_count - len(txn.hooks),
        "failed_hooks": txn.failed_hook_count,
    }


def _task(task_run_id: UUID, labels: dict[UUID, tuple[str, str, str]]) -> dict[str, Any]:
    name, state_type, state_name = labels.get(task_run_id, (None, None, None))
    return {"id": task_run_id, "name": name, "state_type": state_type, "state_name": state_name}
