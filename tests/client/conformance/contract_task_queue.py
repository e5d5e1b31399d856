"""Background task runs (``Task.delay``): submit, claim (each run once), renew and
take over an expired claim, long-poll woken by a submission."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from headwater.client.protocol import Client
from headwater.schemas.records import new_task_run_record, transition
from headwater.schemas.task_queue import TaskClaimRequest, TaskRunSubmit
from headwater.states import StateType
from tests.client.conformance.records import unique


def _submit(client: Client, key: str, n: int = 1, **fields) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    client.submit_task_runs(
        [
            TaskRunSubmit(
                id=i,
                task_key=key,
                dynamic_key=f"d-{i.hex[:8]}",
                name=f"t-{i.hex[:8]}",
                tags=["bg"],
                parameters={"inline": "AA==", "serializer": "pickle"},
                **fields,
            )
            for i in ids
        ]
    )
    return ids


def _claim(client: Client, key: str, worker: str, **fields) -> list:
    request = TaskClaimRequest(worker_name=worker, task_keys=[key], **fields)
    return client.claim_task_runs(request).task_runs


class TaskQueueContract:
    def test_submitted_runs_are_claimed_once_with_their_fields(self, client: Client) -> None:
        key = unique("bg-key")
        ids = _submit(client, key, 3)
        _submit(client, key, 1, scheduled_time=time.time() + 3600)  # not due yet
        first = _claim(client, key, unique("w"), limit=2)
        second = _claim(client, key, unique("w"), limit=10)
        assert len(first) == 2 and len(second) == 1
        assert {r.id for r in first + second} == set(ids)
        run = first[0]
        assert run.task_key == key and run.tags == ["bg"] and run.recovered_from is None
        assert run.parameters == {"inline": "AA==", "serializer": "pickle"}
        assert _claim(client, key, unique("w")) == []
        read = client.read_task_run(run.id)
        assert read.state.type is StateType.PENDING and read.flow_run_id is None
        client.submit_task_runs(  # submitting an id again changes nothing
            [TaskRunSubmit(id=run.id, task_key=key, dynamic_key="x", name="x", parameters={})]
        )
        assert client.read_task_run(run.id).state.type is StateType.PENDING

    def test_an_expired_claim_is_taken_over_and_a_renewed_one_is_not(self, client: Client) -> None:
        key = unique("bg-lease")
        kept, lost = _submit(client, key, 2)
        owner = unique("owner")
        assert {r.id for r in _claim(client, key, owner, lease_seconds=0.5)} == {kept, lost}
        time.sleep(0.3)
        _claim(client, key, owner, limit=0, watched_ids=[kept], lease_seconds=30)
        time.sleep(0.4)
        taken = _claim(client, key, unique("other"))
        assert [(r.id, r.recovered_from) for r in taken] == [(lost, owner)]

    def test_a_finished_run_is_never_claimed_again(self, client: Client) -> None:
        key = unique("bg-final")
        (run_id,) = _submit(client, key)
        owner = unique("owner")
        assert len(_claim(client, key, owner, lease_seconds=0.3)) == 1
        record = new_task_run_record(run_id, None, key, "d", "t", [], 1, time.time())
        transition(record, StateType.RUNNING, "Running")
        transition(record, StateType.COMPLETED, "Completed")
        client.upsert_task_runs([record])
        time.sleep(0.4)
        assert _claim(client, key, unique("other")) == []
        assert client.read_task_run(run_id).state.type is StateType.COMPLETED

    def test_a_waiting_claim_is_woken_by_a_submission(self, client: Client) -> None:
        key = unique("bg-wake")
        worker = unique("w")
        _claim(client, key, worker)  # registers the worker
        submitted: list[float] = []

        def submit_soon() -> None:
            time.sleep(0.3)
            submitted.append(time.monotonic())
            _submit(client, key)

        thread = threading.Thread(target=submit_soon)
        thread.start()
        try:
            got = _claim(client, key, worker, wait_seconds=20)
            woken = time.monotonic()
        finally:
            thread.join()
        assert len(got) == 1
        assert woken - submitted[0] < 5.0  # woken, not the 20 s timeout

    def test_claim_requests_are_checked(self, client: Client) -> None:
        with pytest.raises(ValueError):
            TaskClaimRequest(worker_name="w", task_keys=[])
        request = TaskClaimRequest(worker_name=unique("w"), task_keys=[unique("nothing")])
        assert client.claim_task_runs(request).task_runs == []
        client.remove_task_worker(unique("never-seen"))  # no error
