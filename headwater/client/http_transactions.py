"""``HttpClient``'s records of flow runs' transactions, through ``/api/transactions``
(pipelined like task runs and logs) and ``/api/flow_runs/{id}/transactions``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.transactions import RunTransaction, TransactionRecord

_READ = 2.0
#: How long the writer's flush keeps trying a server that does not answer (then the
#: writer keeps the records and tries again later), as for artifacts.
_WRITE = 0.3


class HttpTransactionsMixin:
    transport: Any
    _send_jobs: Any

    def write_transactions(self, records: Sequence[TransactionRecord]) -> None:
        """Transactions as they open and end; ``TransientWriteError`` when the server
        cannot be reached, ``RecordsRefused`` naming the records it refused."""
        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.exceptions import ObjectNotFound, ServerUnavailable

        items = list(records)
        jobs = [("/transactions/bulk", items[i : i + 500]) for i in range(0, len(items), 500)]
        try:
            refused = self._send_jobs(jobs, _WRITE)
        except ServerUnavailable as exc:
            raise TransientWriteError(str(exc)) from None
        except ObjectNotFound as exc:  # a record names a flow run the server does not have
            raise RecordsRefused(items, str(exc)) from None
        if refused:
            raise RecordsRefused(refused, "the server refused them as invalid")

    def read_transactions(self, flow_run_id: UUID) -> list[RunTransaction]:
        """``ObjectNotFound`` when there is no such flow run."""
        from pydantic import TypeAdapter

        from headwater.schemas.transactions import RunTransaction

        path = f"/flow_runs/{flow_run_id}/transactions"
        response = self.transport.request("GET", path, retry_for=_READ)
        return TypeAdapter(list[RunTransaction]).validate_json(response.content)
