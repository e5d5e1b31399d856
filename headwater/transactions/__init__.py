"""Transactions: groups of work that commit together or roll back together.

``with transaction(key=…) as txn:`` (or ``async with``) — see ``docs/transactions.md``.
Prefect 3's names: ``transaction``, ``get_transaction``, ``Transaction``,
``IsolationLevel``, ``CommitMode``, ``TransactionState``.
"""

from __future__ import annotations

from headwater.transactions.transaction import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    get_transaction,
    transaction,
)

# Prefect 3 splits the sync and async classes; one class does both here.
BaseTransaction = Transaction
AsyncTransaction = Transaction
atransaction = transaction

__all__ = [
    "AsyncTransaction",
    "BaseTransaction",
    "CommitMode",
    "IsolationLevel",
    "Transaction",
    "TransactionState",
    "atransaction",
    "get_transaction",
    "transaction",
]
