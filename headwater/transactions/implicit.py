"""A flow-run attempt's implicit transaction (see ``transaction``'s module doc): the
tasks that finish in the attempt join it, so their ``on_commit`` hooks run when it
completes and their ``on_rollback`` hooks, last first, when it fails."""

from __future__ import annotations

import logging
from contextvars import Token

from headwater.transactions import recording
from headwater.transactions.transaction import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    _current,
)


def open_implicit(
    run_logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> tuple[Transaction, Token[Transaction | None]]:
    """The implicit transaction of a flow-run attempt, made current; transactions
    opened in the run log to ``run_logger`` (the run's log in the store)."""
    txn = Transaction(implicit=True, logger=run_logger)
    txn._parent = _current.get()
    txn.commit_mode = CommitMode.LAZY
    txn.isolation_level = IsolationLevel.READ_COMMITTED
    txn.state = TransactionState.ACTIVE
    recording.implicit_opened(txn)
    return txn, _current.set(txn)


def close_implicit(txn: Transaction, token: Token[Transaction | None], completed: bool) -> None:
    """End an attempt's implicit transaction: commit if it completed (a subflow run
    inside a user's transaction hands it to that transaction instead), else roll back."""
    try:
        _current.reset(token)
    except ValueError:  # reset from another context: leave the variable as it is
        pass
    parent = txn._parent
    if not completed:
        txn.rollback()
    elif (
        parent is not None
        and not parent.implicit
        and parent.state is not TransactionState.COMMITTED
    ):
        parent.add_child(txn)
    else:
        txn.commit()
