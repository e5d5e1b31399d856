"""Task runs and logs (bulk upserts and the writer's ``write_batch``), their reads,
the resume map, and cache-key locks."""

from __future__ import annotations

import time
import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import ObjectNotFound
from headwater.schemas.filters import LogFilter, TaskRunFilter, TaskRunSort
from headwater.schemas.records import transition
from headwater.states import StateType
from tests.client.conformance.records import log_record, new_run, task_record, unique


class RecordsContract:
    def test_upsert_task_runs_moves_a_record_forward_in_place(self, client: Client) -> None:
        run = new_run(client)
        running = task_record(
            run["id"], state_type="RUNNING", state_name="Running", end_time=None, tags=["t"]
        )
        client.upsert_task_runs([running])
        assert client.read_task_run(running.id).state.type is StateType.RUNNING
        done = running.copy()
        transition(done, StateType.FAILED, "Failed", "bad", now=time.time() + 1)
        client.upsert_task_runs([done])
        client.upsert_task_runs([running])  # a late duplicate never goes back in time
        read = client.read_task_run(running.id)
        assert read.state.type is StateType.FAILED and read.state.message == "bad"
        assert (read.flow_run_id, read.name, read.tags) == (run["id"], "step-0", ["t"])
        flt = TaskRunFilter(flow_run_ids=[run["id"]])
        assert [t.id for t in client.read_task_runs(task_run_filter=flt)] == [running.id]

    def test_read_task_runs_filters_sorts_and_pages(self, client: Client) -> None:
        run = new_run(client)
        base = time.time()
        records = [
            task_record(
                run["id"],
                dynamic_key=str(i),
                name=f"step-{i}",
                created=base + i,
                state_type="COMPLETED" if i % 2 == 0 else "FAILED",
                state_name="Completed" if i % 2 == 0 else "Failed",
            )
            for i in range(6)
        ]
        client.upsert_task_runs(records)
        flt = TaskRunFilter(flow_run_ids=[run["id"]])
        oldest_first = client.read_task_runs(task_run_filter=flt)
        assert [t.name for t in oldest_first] == [f"step-{i}" for i in range(6)]
        newest_first = client.read_task_runs(task_run_filter=flt, sort=TaskRunSort.CREATED_DESC)
        assert [t.name for t in newest_first] == [f"step-{i}" for i in range(5, -1, -1)]
        page = client.read_task_runs(task_run_filter=flt, limit=2, offset=3)
        assert [t.name for t in page] == ["step-3", "step-4"]
        failed = TaskRunFilter(flow_run_ids=[run["id"]], state_types=[StateType.FAILED])
        assert [t.name for t in client.read_task_runs(task_run_filter=failed)] == [
            "step-1",
            "step-3",
            "step-5",
        ]
        with pytest.raises(ObjectNotFound):
            client.read_task_run(uuid.uuid4())

    def test_logs_are_kept_once_by_id_and_read_in_time_order(self, client: Client) -> None:
        run = new_run(client)
        base = time.time()
        logs = [log_record(run["id"], f"line {i}", timestamp=base + i) for i in range(5)]
        client.create_logs(logs[::-1])
        client.create_logs(logs[:2])  # a retried request
        flt = LogFilter(flow_run_id=run["id"])
        assert [log.message for log in client.read_logs(log_filter=flt)] == [
            f"line {i}" for i in range(5)
        ]
        page = client.read_logs(log_filter=flt, limit=2, offset=1)
        assert [log.message for log in page] == ["line 1", "line 2"]
        text = LogFilter(flow_run_id=run["id"], text="line 3")
        assert [log.message for log in client.read_logs(log_filter=text)] == ["line 3"]

    def test_write_batch_writes_task_runs_then_logs(self, client: Client) -> None:
        run = new_run(client)
        tasks = [task_record(run["id"], dynamic_key=str(i), name=f"b-{i}") for i in range(30)]
        logs = [
            log_record(run["id"], f"batch {i}", task_run_id=tasks[i].id, level=30)
            for i in range(30)
        ]
        client.write_batch(tasks, logs)
        client.write_batch([], [])
        stored = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_ids=[run["id"]]), limit=100
        )
        assert {t.id for t in stored} == {t.id for t in tasks}
        by_task = LogFilter(task_run_id=tasks[7].id)
        (log,) = client.read_logs(log_filter=by_task)
        assert (log.message, log.level, log.flow_run_id) == ("batch 7", 30, run["id"])
        warnings = LogFilter(flow_run_id=run["id"], level_ge=30)
        assert len(client.read_logs(log_filter=warnings, limit=100)) == 30

    def test_a_record_the_store_cannot_hold_costs_no_other_record(self, client: Client) -> None:
        run = new_run(client)
        good = [task_record(run["id"], dynamic_key=str(i)) for i in range(5)]
        odd = task_record(run["id"], dynamic_key="odd", name="nul\x00name", state_message="m\x00")
        lines = [log_record(run["id"], f"fine {i}") for i in range(5)]
        odd_lines = [
            log_record(run["id"], "a\x00b"),
            log_record(run["id"], "lone \ud800", name="logger\x00name"),
        ]
        client.write_batch([*good, odd], lines)
        client.write_batch([], odd_lines)
        stored = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run["id"]]))
        assert {t.id for t in stored} == {r.id for r in [*good, odd]}
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=run["id"]))
        # Log lines read back alike from every store: NUL becomes U+FFFD, a lone
        # surrogate its escape.
        assert {(log.name, log.message) for log in logs} == {
            *(("conformance", f"fine {i}") for i in range(5)),
            ("conformance", "a\ufffdb"),
            ("logger\ufffdname", "lone \\ud800"),
        }
        # Task-run names keep NUL in the embedded SQLite store: checking every task
        # record for it would cost the writer ~3 % a task.
        nul = "\x00" if _embedded_sqlite(client) else "\ufffd"
        assert client.read_task_run(odd.id).name == f"nul{nul}name"

    def test_reads_beyond_one_server_page(self, client: Client) -> None:
        run = new_run(client)
        count = 1100
        client.write_batch(
            [task_record(run["id"], dynamic_key=str(i)) for i in range(count)],
            [log_record(run["id"], f"many {i}") for i in range(count)],
        )
        flt = TaskRunFilter(flow_run_ids=[run["id"]])
        assert len(client.read_task_runs(task_run_filter=flt, limit=5000)) == count
        assert len(client.read_task_runs(task_run_filter=flt, limit=1050)) == 1050
        assert len(client.read_task_runs(task_run_filter=flt, limit=100, offset=1050)) == 50
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=run["id"]), limit=5000)
        assert len(logs) == count and len({log.id for log in logs}) == count

    def test_resume_map_keeps_the_usable_result_per_task_call(self, client: Client) -> None:
        run = new_run(client)
        ref = {"storage": None, "key": "k1", "serializer": "pickle"}
        client.upsert_task_runs(
            [
                task_record(run["id"], task_key="a", dynamic_key="0", result=ref, cache_key="c"),
                task_record(
                    run["id"],
                    task_key="b",
                    dynamic_key="0",
                    state_type="FAILED",
                    state_name="Failed",
                    inputs={"__subflow_run__": [str(run["id"])]},
                ),
            ]
        )
        resume = client.read_resume_map(run["id"])
        assert resume == {
            ("a", "0"): {
                "state_type": "COMPLETED",
                "result": ref,
                "cache_key": "c",
                "child_flow_run_id": None,
            },
            ("b", "0"): {
                "state_type": "FAILED",
                "result": None,
                "cache_key": None,
                "child_flow_run_id": str(run["id"]),
            },
        }
        assert client.read_resume_map(new_run(client)["id"]) == {}

    def test_cache_locks_have_one_holder_until_released_or_expired(self, client: Client) -> None:
        key = unique("lock")
        assert client.read_cache_lock_holder(key) is None
        assert client.acquire_cache_lock(key, "one", 30)
        assert client.read_cache_lock_holder(key) == "one"
        assert client.acquire_cache_lock(key, "one", 30)  # its holder may renew it
        assert not client.acquire_cache_lock(key, "two", 30)
        assert not client.release_cache_lock(key, "two")
        assert client.release_cache_lock(key, "one")
        assert not client.release_cache_lock(key, "one")
        assert client.read_cache_lock_holder(key) is None
        assert client.acquire_cache_lock(key, "two", 0.05)
        time.sleep(0.1)
        assert client.read_cache_lock_holder(key) is None
        assert client.acquire_cache_lock(key, "three", 30)  # the old lock expired

    def test_leases_unknown_to_the_store_are_neither_renewed_nor_released(
        self, client: Client
    ) -> None:
        missing = uuid.uuid4()
        assert client.renew_leases([missing]) == []
        assert client.renew_leases([]) == []
        assert client.release_lease(missing) is False

    def test_a_client_has_one_lease_keeper(self, client: Client) -> None:
        keeper = client.lease_keeper()
        assert client.lease_keeper() is keeper
        assert keeper.held_ids() == []


def _embedded_sqlite(client: Client) -> bool:
    from headwater.client.local import LocalClient

    return isinstance(client, LocalClient) and client.db.is_sqlite
