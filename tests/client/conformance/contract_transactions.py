"""Flow runs' transactions: the writer's records (open, then ended; an ended one never
changes), a run's list in order, ``DISCARDED`` for one left open by its attempt."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from headwater.client.protocol import Client
from headwater.client.writer import RecordsRefused
from headwater.exceptions import ObjectNotFound
from headwater.schemas.transactions import TransactionRecord
from headwater.states import Completed
from tests.client.conformance.records import new_run


def txn_record(flow_run_id: uuid.UUID, **changes: Any) -> TransactionRecord:
    now = time.time()
    record: dict[str, Any] = {
        "id": uuid.uuid4(),
        "flow_run_id": flow_run_id,
        "parent_id": None,
        "key": None,
        "implicit": False,
        "isolation_level": "READ_COMMITTED",
        "commit_mode": "LAZY",
        "outcome": "OPEN",
        "reused": False,
        "flow_run_attempt": 1,
        "start_time": now,
        "end_time": None,
        "task_run_ids": [],
        "task_count": 0,
        "hooks": [],
        "hook_count": 0,
        "failed_hook_count": 0,
    }
    record.update(changes)
    return record  # type: ignore[return-value]


class TransactionsContract:
    def test_transactions_open_then_end_and_read_back_in_order(self, client: Client) -> None:
        run = new_run(client)
        base = time.time()
        task_a, task_b = uuid.uuid4(), uuid.uuid4()
        outer = txn_record(run["id"], key="load-2024-01-01", start_time=base)
        inner = txn_record(run["id"], parent_id=outer["id"], start_time=base + 1)
        client.write_transactions([outer, inner])
        found = client.read_transactions(run["id"])
        assert [(t.id, t.outcome) for t in found] == [(outer["id"], "OPEN"), (inner["id"], "OPEN")]
        hook = {"name": "remove_file", "kind": "rollback", "ok": False}
        ended = txn_record(
            run["id"],
            id=outer["id"],
            key="load-2024-01-01",
            outcome="ROLLED_BACK",
            isolation_level="SERIALIZABLE",
            start_time=base,
            end_time=base + 3,
            task_run_ids=[str(task_a), str(task_b)],
            task_count=2,
            hooks=[{**hook, "error": "OSError: gone", "task_run_id": str(task_a)}],
            hook_count=1,
            failed_hook_count=1,
        )
        inner_done = {**inner, "outcome": "COMMITTED", "end_time": base + 2}
        client.write_transactions([ended, inner_done])
        client.write_transactions([outer])  # a late or retried open record changes nothing
        first, second = client.read_transactions(run["id"])
        assert first.id == outer["id"] and first.outcome == "ROLLED_BACK"
        assert first.key == "load-2024-01-01" and first.isolation_level == "SERIALIZABLE"
        assert first.task_run_ids == [task_a, task_b] and first.task_count == 2
        assert first.end_time is not None and first.end_time.timestamp() == pytest.approx(base + 3)
        (only,) = first.hooks
        assert (only.name, only.kind, only.ok, only.error) == (
            "remove_file",
            "rollback",
            False,
            "OSError: gone",
        )
        assert only.task_run_id == task_a and first.failed_hook_count == 1
        assert second.parent_id == outer["id"] and second.outcome == "COMMITTED"

    def test_an_open_transaction_of_an_attempt_that_is_over_reads_discarded(
        self, client: Client
    ) -> None:
        run = new_run(client)
        record = txn_record(run["id"], key="k")
        client.write_transactions([record])
        assert client.read_transactions(run["id"])[0].outcome == "OPEN"
        assert client.set_flow_run_state(run["id"], Completed()).accepted
        assert client.read_transactions(run["id"])[0].outcome == "DISCARDED"

    def test_a_run_without_transactions_and_a_missing_run(self, client: Client) -> None:
        run = new_run(client)
        assert client.read_transactions(run["id"]) == []
        with pytest.raises(ObjectNotFound):
            client.read_transactions(uuid.uuid4())
        client.write_transactions([])
        with pytest.raises(RecordsRefused):
            client.write_transactions([txn_record(uuid.uuid4())])
