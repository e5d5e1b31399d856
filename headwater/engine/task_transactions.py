"""Task runs inside transactions: staged results and commit/rollback hooks.

A task run that finishes inside a transaction joins it as a child transaction (in
``STAGED`` state) when it has something to commit or undo: ``on_commit`` /
``on_rollback`` hooks, or — inside a user's ``with transaction()`` — a result to
persist, which is then written only when the transaction commits.  Plain tasks
without hooks add nothing (the per-task cost stays a context-variable read).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from headwater.results.records import ResultRef, write_result
from headwater.transactions.transaction import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
)

if TYPE_CHECKING:
    from headwater.engine.task_results import TaskPlan
    from headwater.engine.task_run import TaskRun


class PlanStore:
    """A task plan's storage and serializer as a transaction's store (writes only)."""

    __slots__ = ("plan",)

    def __init__(self, plan: TaskPlan) -> None:
        self.plan = plan

    def write(
        self, obj: Any, key: str, expiration: float | None = None, holder: str | None = None
    ) -> ResultRef:
        return write_result(self.plan.storage, key, obj, self.plan.serializer, expiration)

    def exists(self, key: str) -> bool:
        return self.plan.storage.exists(key)

    def supports_isolation_level(self, level: Any) -> bool:
        return level is IsolationLevel.READ_COMMITTED

    def __repr__(self) -> str:
        return f"PlanStore({self.plan.storage!r})"


def _child(run: TaskRun, parent: Transaction, key: str | None, store: Any) -> Transaction:
    task = run.task
    child = Transaction(key=key, store=store, write_on_commit=store is not None)
    child.commit_mode = CommitMode.LAZY
    child.isolation_level = IsolationLevel.READ_COMMITTED
    child.state = TransactionState.STAGED
    child.task_run_id = run.record.id
    child.add_hooks(task.on_commit_hooks, task.on_rollback_hooks)
    parent.add_child(child)
    return child


def stage_result(run: TaskRun, value: Any, parent: Transaction) -> ResultRef | None:
    """Inside a user transaction: stage the result to be written on commit; the ref
    it will have once written."""
    plan = run.plan
    assert plan is not None
    if not plan.persist:
        if run.task.on_commit_hooks or run.task.on_rollback_hooks:
            join(run, parent)
        return None
    key = run.cache_key or f"task-runs/{run.record.id}"
    expiration = time.time() + plan.expiration if plan.expiration is not None else None
    child = _child(run, parent, key, PlanStore(plan))
    child._staged_value = value
    child._expiration = expiration
    return {
        "storage": plan.storage.url,
        "key": key,
        "serializer": plan.serializer.name,
        "expiration": expiration,
        "created": time.time(),
    }


def join(run: TaskRun, parent: Transaction) -> None:
    """Register the task's commit and rollback hooks with ``parent``."""
    _child(run, parent, None, None)
