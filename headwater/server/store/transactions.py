"""The transactions of flow runs: bulk writes from the batching writer and a run's list.

A record is written when its transaction opens (``OPEN``) and again when it ends; an
upsert applies a record only over a row still ``OPEN``, so an ended row never changes
and a retried or late ``OPEN`` record never reopens one.  See
``headwater/schemas/transactions.py`` for the outcomes (``DISCARDED`` is decided here,
on reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, literal_column, select

from headwater.exceptions import ObjectNotFound
from headwater.server.db.bulk import bulk_statement
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import flow_runs, run_transactions

if TYPE_CHECKING:
    from headwater.schemas.transactions import RunTransaction, TransactionRecord

#: Most transactions one read returns (a run with more shows its first ones).
MAX_READ = 1000

_FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
_UPDATABLE = [
    c.key
    for c in run_transactions.c
    if c.key not in ("id", "flow_run_id", "parent_id", "start_time", "flow_run_attempt")
]


def write_transactions(conn: Connection, *, records: Sequence[TransactionRecord]) -> None:
    """Insert new transactions and apply ended ones (idempotent: see the module doc)."""
    if not records:
        return

    def build() -> tuple[Any, Any]:
        statement = insert_for(conn, run_transactions)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={name: statement.excluded[name] for name in _UPDATABLE},
            # A literal: the bulk statement's rows carry only the columns' values.
            where=run_transactions.c.outcome == literal_column("'OPEN'"),
        )
        return run_transactions, statement

    bulk_statement(conn, "upsert_run_transactions", build).execute(conn, records)


def read_transactions(
    conn: Connection, *, flow_run_id: UUID, limit: int = MAX_READ
) -> list[RunTransaction]:
    """A flow run's transactions in the order they opened; ``ObjectNotFound`` when
    there is no such flow run.  An ``OPEN`` one whose attempt is over (the run went
    on to another attempt, or finished) reads as ``DISCARDED``."""
    from headwater.schemas.transactions import RunTransaction

    run = conn.execute(
        select(flow_runs.c.state_type, flow_runs.c.run_count).where(flow_runs.c.id == flow_run_id)
    ).first()
    if run is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    rows = conn.execute(
        select(run_transactions)
        .where(run_transactions.c.flow_run_id == flow_run_id)
        .order_by(run_transactions.c.start_time, run_transactions.c.id)
        .limit(limit)
    )
    found = []
    for row in rows:
        data = dict(row._mapping)
        if data["outcome"] == "OPEN" and (
            run.state_type in _FINAL or data["flow_run_attempt"] < (run.run_count or 1)
        ):
            data["outcome"] = "DISCARDED"
        found.append(RunTransaction.model_validate(data))
    return found


def read_task_run_labels(
    conn: Connection, *, task_run_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, str, str]]:
    """``{id: (name, state type, state name)}`` of the task runs that exist among
    ``task_run_ids`` (the page names a transaction's task runs with them)."""
    from headwater.server.db.tables import task_runs

    wanted = list(dict.fromkeys(task_run_ids))
    found: dict[UUID, tuple[str, str, str]] = {}
    for start in range(0, len(wanted), 500):
        query = select(
            task_runs.c.id, task_runs.c.name, task_runs.c.state_type, task_runs.c.state_name
        ).where(task_runs.c.id.in_(wanted[start : start + 500]))
        for row in conn.execute(query):
            found[UUID(str(row.id))] = (row.name, row.state_type, row.state_name)
    return found
