"""``LocalClient``'s records of flow runs' transactions, on the embedded store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.transactions import RunTransaction, TransactionRecord
    from headwater.server.db.database import Database


class LocalTransactionsMixin:
    db: Database

    def write_transactions(self, records: Sequence[TransactionRecord]) -> None:
        """Transactions as they open and end, in one store transaction (the batching
        writer's flush); a busy store raises ``TransientWriteError``, records naming a
        flow run that does not exist raise ``RecordsRefused`` (the others are written)."""
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError, OperationalError

        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.server.db.store_errors import describe
        from headwater.server.db.tables import flow_runs
        from headwater.server.store import transactions

        if not records:
            return
        try:
            try:
                with self.db.begin_write() as conn:
                    transactions.write_transactions(conn, records=records)
                return
            except IntegrityError:  # a record names a flow run that is not (any more)
                pass
            with self.db.begin_write() as conn:
                wanted = {r["flow_run_id"] for r in records}
                query = select(flow_runs.c.id).where(flow_runs.c.id.in_(wanted))
                known = set(conn.execute(query).scalars())
                transactions.write_transactions(
                    conn, records=[r for r in records if r["flow_run_id"] in known]
                )
        except OperationalError as exc:
            raise TransientWriteError(describe(exc)) from exc
        refused = [r for r in records if r["flow_run_id"] not in known]
        if refused:
            raise RecordsRefused(refused, "their flow runs do not exist")

    def read_transactions(self, flow_run_id: UUID) -> list[RunTransaction]:
        """``ObjectNotFound`` when there is no such flow run."""
        from headwater.server.store import transactions

        with self.db.begin_read() as conn:
            return transactions.read_transactions(conn, flow_run_id=flow_run_id)
