"""The embedded store writes a flush's task runs and transactions in one store
transaction; a record it refuses (its flow run is gone) is refused alone, and the rest
of the flush is written (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest

from headwater.client.local import LocalClient
from headwater.client.writer import RecordsRefused
from tests.client.conformance.contract_transactions import txn_record
from tests.client.conformance.records import log_record, new_run, task_record


def test_task_runs_logs_and_transactions_are_written_together(database_url: str) -> None:
    client = LocalClient(database_url)
    run = new_run(client)
    step = task_record(run["id"])
    record = txn_record(
        run["id"], outcome="COMMITTED", task_run_ids=[str(step.id)], task_count=1, implicit=True
    )
    client.write_batch_and_transactions([step], [log_record(run["id"], "hello")], [], [record])
    (found,) = client.read_transactions(run["id"])
    assert (found.id, found.outcome, found.task_run_ids) == (record["id"], "COMMITTED", [step.id])
    assert found.implicit is True and found.reused is False  # booleans stored as 0/1 on SQLite
    assert client.read_task_run(step.id).state.is_completed()


def test_a_transaction_of_a_missing_flow_run_is_refused_alone(database_url: str) -> None:
    client = LocalClient(database_url)
    run = new_run(client)
    step = task_record(run["id"])
    kept = txn_record(run["id"], outcome="COMMITTED")
    orphan = txn_record(uuid.uuid4(), outcome="COMMITTED")
    with pytest.raises(RecordsRefused) as refused:
        client.write_batch_and_transactions([step], [], [], [kept, orphan])
    assert [r["id"] for r in refused.value.records] == [orphan["id"]]
    assert [t.id for t in client.read_transactions(run["id"])] == [kept["id"]]
    assert client.read_task_run(step.id).state.is_completed()
