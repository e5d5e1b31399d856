"""Flow runs: create, orchestrated state changes, reads, deletes, run control, and
running or retrying an existing run in this process through the client."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import ObjectNotFound, UnstorableValueError
from headwater.launch.runs import retry_flow_run, run_flow_run
from headwater.schemas.filters import FlowRunFilter, FlowRunSort
from headwater.states import (
    Cancelled,
    Completed,
    Failed,
    Pending,
    Running,
    Scheduled,
    StateType,
    Suspended,
)
from tests.client.conformance.records import new_run, unique


class FlowRunsContract:
    def test_create_flow_run_returns_the_engine_shape_and_is_idempotent(
        self, client: Client
    ) -> None:
        run_id = uuid.uuid4()
        body: Any = {
            "id": run_id,
            "flow_name": unique("conf-create"),
            "name": "first",
            "parameters": {"n": 1, "nested": {"a": [1, 2]}},
            "tags": ["b", "a"],
        }
        first = client.create_flow_run(body, Running())
        again = client.create_flow_run(body, Running())
        assert first["was_created"] is True and again["was_created"] is False
        assert first["id"] == again["id"] == run_id and isinstance(first["id"], uuid.UUID)
        assert first["state"].type is StateType.RUNNING and first["run_count"] == 1
        assert first["flow_name"] == body["flow_name"] and first["name"] == "first"
        assert first["parameters"] == {"n": 1, "nested": {"a": [1, 2]}}

    @pytest.mark.parametrize(
        ("parameters", "named"),
        [
            ({"p": float("nan")}, "parameters.p is nan"),
            ({"p": {"deep": [float("inf")]}}, "parameters.p.deep[0] is inf"),
            ({"p": "lone \ud800"}, "parameters.p contains a lone surrogate"),
            ({"p": "a\x00b"}, "parameters.p contains a NUL"),
            ({"k\x00": 1}, "the key 'k\\x00' contains a NUL"),
        ],
    )
    def test_parameters_no_store_keeps_are_refused_alike(
        self, client: Client, parameters: dict[str, Any], named: str
    ) -> None:
        flow_name = unique("conf-unstorable")
        body: Any = {"flow_name": flow_name, "name": "r", "parameters": parameters}
        with pytest.raises(UnstorableValueError, match=re.escape(named)):
            client.create_flow_run(body, Running())
        assert client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[flow_name])) == []

    def test_create_flow_run_by_idempotency_key(self, client: Client) -> None:
        key, flow_name = unique("key"), unique("conf-key")
        first = new_run(client, Scheduled(), flow_name=flow_name, idempotency_key=key)
        again = new_run(client, Running(), flow_name=flow_name, idempotency_key=key)
        assert again["id"] == first["id"] and not again["was_created"]
        assert again["state"].type is StateType.SCHEDULED  # the existing run, unchanged
        other_flow = new_run(client, Scheduled(), idempotency_key=key)
        assert other_flow["was_created"] and other_flow["id"] != first["id"]

    def test_set_flow_run_state_is_orchestrated(self, client: Client) -> None:
        run = new_run(client, empirical_policy={"retries": 1, "retry_delay_seconds": 0})
        retry = client.set_flow_run_state(run["id"], Failed(message="boom"))
        assert not retry.accepted and retry.state.name == "AwaitingRetry"
        assert client.set_flow_run_state(run["id"], Running()).accepted
        done = client.set_flow_run_state(run["id"], Completed(message="ok"))
        assert done.accepted and done.state.type is StateType.COMPLETED
        refused = client.set_flow_run_state(run["id"], Running())
        assert not refused.accepted and refused.state.type is StateType.COMPLETED
        forced = client.set_flow_run_state(run["id"], Pending(), force=True)
        assert forced.accepted and forced.state.type is StateType.PENDING
        names = [s.name for s in client.read_flow_run_states(run["id"])]
        assert names == ["Running", "AwaitingRetry", "Running", "Completed", "Pending"]

    def test_run_text_is_stored_alike_on_every_store(self, client: Client) -> None:
        """NUL, control characters and oversize messages: cleaned the same way."""
        run = new_run(client, name="tab\there", flow_name=unique("conf\x00text"))
        read = client.read_flow_run(run["id"])
        assert read.name == "tab here" and "\x00" not in read.flow_name
        long = "x" * 150_000
        client.set_flow_run_state(run["id"], Failed(message=f"a\x00b {long}"))
        (_, failed) = client.read_flow_run_states(run["id"])
        assert failed.message is not None and failed.message.startswith("a\ufffdb x")
        assert len(failed.message) <= 100_000 and failed.message.endswith("server)")

    def test_unknown_flow_runs_raise_object_not_found(self, client: Client) -> None:
        missing = uuid.uuid4()
        for call in (
            lambda: client.read_flow_run(missing),
            lambda: client.read_flow_run_states(missing),
            lambda: client.set_flow_run_state(missing, Running()),
            lambda: client.delete_flow_run(missing),
            lambda: client.cancel_flow_run(missing),
            lambda: client.heartbeat_flow_run(missing),
            lambda: client.crash_flow_run(missing, "gone"),
        ):
            with pytest.raises(ObjectNotFound):
                call()

    def test_read_flow_run_and_delete(self, client: Client) -> None:
        run = new_run(client, tags=["x"])
        read = client.read_flow_run(run["id"])
        assert (read.id, read.flow_name, read.name) == (run["id"], run["flow_name"], "run")
        assert read.state.type is StateType.RUNNING and read.tags == ["x"]
        client.delete_flow_run(run["id"])
        with pytest.raises(ObjectNotFound):
            client.read_flow_run(run["id"])

    def test_read_flow_runs_filters_sorts_and_pages(self, client: Client) -> None:
        flow_name = unique("conf-list")
        ids = [new_run(client, flow_name=flow_name, name=f"r{i}")["id"] for i in range(5)]
        client.set_flow_run_state(ids[0], Completed())
        flt = FlowRunFilter(flow_names=[flow_name])
        by_name = client.read_flow_runs(flow_run_filter=flt, sort=FlowRunSort.NAME_ASC)
        assert [r.name for r in by_name] == ["r0", "r1", "r2", "r3", "r4"]
        newest_first = client.read_flow_runs(flow_run_filter=flt)
        assert [r.id for r in newest_first] == ids[::-1]
        page = client.read_flow_runs(
            flow_run_filter=flt, sort=FlowRunSort.NAME_ASC, limit=2, offset=2
        )
        assert [r.name for r in page] == ["r2", "r3"]
        done = FlowRunFilter(flow_names=[flow_name], state_types=[StateType.COMPLETED])
        assert [r.id for r in client.read_flow_runs(flow_run_filter=done)] == [ids[0]]
        assert client.read_flow_runs(flow_run_filter=FlowRunFilter(ids=[uuid.uuid4()])) == []

    def test_read_flow_runs_and_task_runs_by_id_prefix(self, client: Client) -> None:
        from headwater.schemas.filters import TaskRunFilter

        run = new_run(client)
        other = new_run(client)
        prefix = str(run["id"])[:13]  # with its dash, as `flow-run ls` prints it
        found = client.read_flow_runs(flow_run_filter=FlowRunFilter(id_prefix=prefix))
        assert [r.id for r in found] == [run["id"]]
        whole = client.read_flow_runs(flow_run_filter=FlowRunFilter(id_prefix=str(other["id"])))
        assert [r.id for r in whole] == [other["id"]]
        upper = FlowRunFilter(id_prefix=str(run["id"])[:8].upper())
        assert run["id"] in [r.id for r in client.read_flow_runs(flow_run_filter=upper)]
        assert client.read_task_runs(task_run_filter=TaskRunFilter(id_prefix="0" * 32)) == []

    def test_read_flows_pages(self, client: Client) -> None:
        run = new_run(client)
        names = {flow.name for flow in client.read_flows(limit=100_000)}
        assert run["flow_name"] in names
        first, second = client.read_flows(limit=1), client.read_flows(limit=1, offset=1)
        assert len(first) == len(second) == 1 and first[0].id != second[0].id

    def test_read_a_flow_by_id_and_by_name(self, client: Client) -> None:
        run = new_run(client)
        by_name = client.read_flow_by_name(run["flow_name"])
        assert by_name.name == run["flow_name"]
        assert client.read_flow(by_name.id).name == run["flow_name"]
        with pytest.raises(ObjectNotFound):
            client.read_flow_by_name(unique("no-such-flow"))
        with pytest.raises(ObjectNotFound):
            client.read_flow(uuid.uuid4())

    def test_count_flow_runs_follows_the_filter(self, client: Client) -> None:
        flow_name = unique("conf-count")
        ids = [new_run(client, flow_name=flow_name, name=f"c{i}")["id"] for i in range(3)]
        client.set_flow_run_state(ids[0], Completed())
        assert client.count_flow_runs(flow_run_filter=FlowRunFilter(flow_names=[flow_name])) == 3
        done = FlowRunFilter(flow_names=[flow_name], state_types=[StateType.COMPLETED])
        assert client.count_flow_runs(flow_run_filter=done) == 1
        assert client.count_flow_runs() >= 3

    def test_hello_answers(self, client: Client) -> None:
        assert client.hello()["status"] == "ok"

    # -- run control ------------------------------------------------------------------
    def test_cancel_a_run_that_has_not_started_and_one_that_runs(self, client: Client) -> None:
        waiting = new_run(client, Scheduled())
        assert client.cancel_flow_run(waiting["id"]).type is StateType.CANCELLED
        running = new_run(client)
        client.heartbeat_flow_run(running["id"], pid="4242")
        assert client.cancel_flow_run(running["id"]).type is StateType.CANCELLING
        assert client.cancel_flow_run(running["id"]).type is StateType.CANCELLING  # unchanged
        assert client.heartbeat_flow_run(running["id"]) == "CANCELLING"

    def test_cancel_flow_runs_by_filter(self, client: Client) -> None:
        flow_name = unique("conf-bulk")
        ids = [new_run(client, Scheduled(), flow_name=flow_name)["id"] for _ in range(3)]
        client.set_flow_run_state(ids[2], Cancelled(), force=True)
        cancelled = client.cancel_flow_runs(FlowRunFilter(flow_names=[flow_name]))
        assert sorted(cancelled) == sorted(ids[:2])
        assert client.cancel_flow_runs(FlowRunFilter(flow_names=[flow_name]), limit=10) == []

    def test_heartbeat_and_crash(self, client: Client) -> None:
        run = new_run(client)
        assert client.heartbeat_flow_run(run["id"], pid="123") == "RUNNING"
        crashed = client.crash_flow_run(run["id"], "the process \x00 vanished")
        assert crashed.type is StateType.CRASHED
        assert crashed.message == "the process \ufffd vanished"
        again = client.crash_flow_run(run["id"], "twice")  # a final run stays as it is
        assert again.type is StateType.CRASHED and again.message == crashed.message
        assert client.read_flow_run(run["id"]).state.type is StateType.CRASHED

    def test_a_crash_report_for_an_attempt_that_is_over_leaves_the_run(
        self, client: Client
    ) -> None:
        run = new_run(client)
        claimed = client.read_flow_run(run["id"]).state.timestamp
        client.set_flow_run_state(run["id"], Suspended(), force=True)
        # Still suspended: the old process's end says nothing about the run.
        left = client.crash_flow_run(run["id"], "exited", attempt_since=claimed)
        assert left.name == "Suspended"
        client.set_flow_run_state(run["id"], Running(), force=True)  # resumed elsewhere
        # A report about the attempt before the suspension leaves the new one running.
        left = client.crash_flow_run(run["id"], "exited", attempt_since=claimed)
        assert left.type is StateType.RUNNING
        assert client.read_flow_run(run["id"]).state.type is StateType.RUNNING
        # The current attempt's own report crashes it.
        current = client.read_flow_run(run["id"]).state.timestamp
        crashed = client.crash_flow_run(run["id"], "gone", attempt_since=current)
        assert crashed.type is StateType.CRASHED

    # -- running an existing run in this process (headwater.launch, through the client) -
    def test_run_flow_run_runs_a_scheduled_run_here(self, client: Client, flows_file: Path) -> None:
        run = new_run(
            client,
            Scheduled(),
            entrypoint=f"{flows_file}:add",
            parameters={"a": 20, "b": 2},
        )
        state = run_flow_run(run["id"], client=client)
        assert state.type is StateType.COMPLETED and state.result() == 42
        stored = client.read_flow_run(run["id"])
        assert stored.state.type is StateType.COMPLETED and stored.run_count == 1

    def test_retry_flow_run_reruns_a_failed_run_in_place(
        self, client: Client, flows_file: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        run = new_run(client, Scheduled(), entrypoint=f"{flows_file}:add", parameters={"a": 1})
        monkeypatch.setenv("CONFORMANCE_FAIL", "1")
        assert run_flow_run(run["id"], client=client).type is StateType.FAILED
        monkeypatch.setenv("CONFORMANCE_FAIL", "0")
        state = retry_flow_run(run["id"], client=client)
        assert state.type is StateType.COMPLETED and state.result() == 3
        stored = client.read_flow_run(run["id"])
        assert stored.run_count == 2 and stored.state.type is StateType.COMPLETED
