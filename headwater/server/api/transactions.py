"""``/api/transactions/bulk`` (the batching writer's records of flow runs'
transactions) and ``/api/flow_runs/{id}/transactions`` (one run's, in order)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from headwater.schemas.transactions import RunTransaction, TransactionRecords
from headwater.server.api.bodies import RawBody, RawJSONBody, referenced_runs
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response, list_response
from headwater.server.store import flow_runs, transactions

TRANSACTION_RECORDS = RawJSONBody(
    TransactionRecords,
    "Transaction records (at most 5,000): one per transaction, as it opens or ends.",
)

router = APIRouter(tags=["Transactions"])


@router.post(
    "/transactions/bulk",
    response_model=dict[str, int],
    responses={404: {"description": "A record names a flow run that does not exist"}},
    summary="Record flow runs' transactions (idempotent: an ended one never changes)",
    openapi_extra=TRANSACTION_RECORDS.openapi_extra,
)
def write_transactions(body: RawBody, db: DatabaseDep) -> Response:
    records: list[Any] = TRANSACTION_RECORDS.parse(body)
    with db.begin_write() as conn:
        flow_runs.require_flow_runs(conn, flow_run_ids=referenced_runs(records))
        transactions.write_transactions(conn, records=records)
    return json_response({"count": len(records)})


@router.get(
    "/flow_runs/{flow_run_id}/transactions",
    response_model=list[RunTransaction],
    responses={404: {"description": "No such flow run"}},
    summary="A flow run's transactions, in the order they opened",
)
def read_transactions(flow_run_id: UUID, db: DatabaseDep) -> Response:
    with db.begin_read() as conn:
        found = transactions.read_transactions(conn, flow_run_id=flow_run_id)
    return list_response(found, RunTransaction)
