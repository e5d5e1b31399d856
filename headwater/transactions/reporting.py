"""How a transaction names itself in the run's log: which transactions report their
outcome, what a log line calls them, the task runs and rollback hooks they count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.transactions.transaction import Transaction


def reports(txn: Transaction) -> bool:
    """Outcomes are logged for the transactions a run's log should show: user
    transactions not inside another, and an implicit one whose tasks had hooks."""
    if txn.task_run_id is not None:
        return False
    parent = txn._parent
    if txn.implicit:
        return bool(txn._children)
    return parent is None or parent.implicit


def owner(txn: Transaction) -> Transaction:
    """The transaction a task's own child stands in (its hooks are that one's)."""
    if txn.task_run_id is not None and txn._parent is not None:
        return txn._parent
    return txn


def where(txn: Transaction) -> str:
    """This transaction for a log line: ``transaction 'key'``, with the task run
    for a task's own child (``task run … in transaction 'key'``)."""
    stands_in = owner(txn)
    if stands_in.implicit:
        title = "this flow run's transaction"
    elif stands_in.key is not None:
        title = f"transaction {stands_in.key!r}"
    else:
        title = "transaction (no key)"
    if stands_in is not txn:
        return f"task run {txn.task_run_id} in {title}"
    return title


def name(txn: Transaction) -> str:
    """A transaction in an outcome's log line: its key, or which it is."""
    if txn.implicit:
        return "of this flow run"
    return repr(txn.key) if txn.key is not None else "(no key)"


def task_count(txn: Transaction) -> int:
    """Task runs that ran in this transaction or joined it, and in those nested in
    it (each once: as the store's record lists them)."""
    ids = set(txn.participants)
    nested = 0
    for child in txn._children:
        if child.task_run_id is not None:
            ids.add(child.task_run_id)
        else:
            nested += task_count(child)
    # A flow run's implicit transaction counts its task runs (those with hooks
    # among them are its children too).
    return max(len(ids), txn.finished_in) + nested


def hook_names(txn: Transaction) -> list[str]:
    """Rollback hooks that ran here and below, in the order they ran."""
    names = [hook_name(h) for h in reversed(txn._on_rollback)]
    for child in reversed(txn._children):
        if child.is_rolled_back():
            names.extend(hook_names(child))
    return names


def hook_name(hook: Any) -> str:
    """A hook in a log line."""
    return str(getattr(hook, "__name__", None) or repr(hook))
