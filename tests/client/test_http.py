"""``HttpClient`` against a real server (SQLite and PostgreSQL): the same ``Client``
protocol as ``LocalClient``, retries, and bad records isolated instead of a lost batch."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.client import get_client, open_client
from headwater.client.http import HttpClient
from headwater.client.protocol import Client
from headwater.client.writer import RecordsRefused, TransientWriteError
from headwater.exceptions import ObjectNotFound, ServerRequestError, ServerUnavailable
from headwater.schemas.filters import FlowRunFilter, LogFilter, TaskRunFilter
from headwater.schemas.records import TaskRunRecord
from headwater.states import Completed, Failed, Running
from tests._servers import ServerProcess, free_port


@pytest.fixture
def client(api_server: ServerProcess) -> Iterator[HttpClient]:
    with HttpClient(api_server.url, retry_seconds=5) as http:
        yield http


def _task_record(flow_run_id: Any, **changes: Any) -> Any:
    now = time.time()
    record = {
        "id": uuid.uuid4(),
        "flow_run_id": flow_run_id,
        "task_key": "t-1",
        "dynamic_key": "0",
        "name": "t-0",
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": [],
        "inputs": {},
        "run_count": 1,
        "flow_run_attempt": 1,
        "cache_key": None,
        "start_time": now,
        "end_time": now,
        "created": now,
        "updated": now,
    }
    record.update(changes)
    return TaskRunRecord.from_dict(record)


def _log(flow_run_id: Any, message: str, **changes: Any) -> Any:
    record = {
        "id": uuid.uuid4(),
        "flow_run_id": flow_run_id,
        "task_run_id": None,
        "name": "test",
        "level": 20,
        "message": message,
        "timestamp": time.time(),
    }
    record.update(changes)
    return record


def _new_run(client: HttpClient, **fields: Any) -> Any:
    flow_name = f"http-{uuid.uuid4().hex[:8]}"
    created = client.create_flow_run(
        {"id": uuid.uuid4(), "flow_name": flow_name, "name": "r", **fields}, Running()
    )
    return created


def test_http_client_is_a_client(client: HttpClient) -> None:
    assert isinstance(client, Client)


def test_create_is_idempotent_and_returns_engine_shapes(client: HttpClient) -> None:
    run_id = uuid.uuid4()
    body = {"id": run_id, "flow_name": "http-idem", "name": "a", "parameters": {"n": 1}}
    first = client.create_flow_run(body, Running())  # type: ignore[arg-type]
    again = client.create_flow_run(body, Running())  # type: ignore[arg-type]
    assert first["was_created"] and not again["was_created"]
    assert first["id"] == run_id and first["state"].is_running() and first["run_count"] == 1


def test_states_round_trip_with_orchestration(client: HttpClient) -> None:
    run = _new_run(client, empirical_policy={"retries": 1, "retry_delay_seconds": 0})
    retry = client.set_flow_run_state(run["id"], Failed(message="boom"))
    assert not retry.accepted and retry.state.name == "AwaitingRetry"
    assert client.set_flow_run_state(run["id"], Completed()).accepted
    names = [s.name for s in client.read_flow_run_states(run["id"])]
    assert names == ["Running", "AwaitingRetry", "Completed"]


def test_records_and_reads(client: HttpClient) -> None:
    run = _new_run(client)
    records = [_task_record(run["id"], dynamic_key=str(i), name=f"t-{i}") for i in range(3)]
    client.upsert_task_runs(records)
    client.create_logs([_log(run["id"], f"line {i}") for i in range(3)])
    task_runs = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run["id"]]))
    assert sorted(t.name for t in task_runs) == ["t-0", "t-1", "t-2"]
    assert client.read_task_run(records[0].id).name == "t-0"
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=run["id"]))
    assert [log.message for log in logs] == ["line 0", "line 1", "line 2"]
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(ids=[run["id"]]))
    assert [r.id for r in runs] == [run["id"]]
    assert client.read_flow_run(run["id"]).flow_name == run["flow_name"]
    assert any(flow.name == run["flow_name"] for flow in client.read_flows(limit=1000))


def test_limits_beyond_one_page_follow_cursors(client: HttpClient) -> None:
    run = _new_run(client)
    client.upsert_task_runs([_task_record(run["id"], dynamic_key=str(i)) for i in range(1500)])
    flt = TaskRunFilter(flow_run_ids=[run["id"]])
    assert len(client.read_task_runs(task_run_filter=flt, limit=1200)) == 1200
    assert len(client.read_task_runs(task_run_filter=flt, limit=5000)) == 1500
    assert len(client.read_task_runs(task_run_filter=flt, limit=100, offset=1450)) == 50


def test_unknown_ids_raise_object_not_found(client: HttpClient) -> None:
    with pytest.raises(ObjectNotFound):
        client.read_flow_run(uuid.uuid4())
    with pytest.raises(ObjectNotFound):
        client.set_flow_run_state(uuid.uuid4(), Running())
    run = _new_run(client)
    client.delete_flow_run(run["id"])
    with pytest.raises(ObjectNotFound):
        client.delete_flow_run(run["id"])


def test_invalid_requests_raise_server_request_error(client: HttpClient) -> None:
    with pytest.raises(ServerRequestError, match="tags"):
        client.create_flow_run({"flow_name": "x", "name": "r", "tags": ["t"] * 101}, Running())


def test_write_batch_keeps_good_records_when_some_are_refused(client: HttpClient) -> None:
    run = _new_run(client)
    good = [_task_record(run["id"], dynamic_key=str(i)) for i in range(9)]
    bad = _task_record(run["id"], state_type="NOT-A-STATE")
    cleaned = _task_record(run["id"], name="nul\x00name", state_message="x" * 200_000)
    with pytest.raises(RecordsRefused) as refused:
        client.write_batch([*good[:4], bad, *good[4:], cleaned], [_log(run["id"], "a\x00b")])
    assert [r["id"] for r in refused.value.records] == [bad.id]  # the writer counts it
    stored = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run["id"]]))
    assert {t.id for t in stored} == {r.id for r in [*good, cleaned]}
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=run["id"]))
    assert [log.message for log in logs] == ["a\ufffdb"]


def test_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    client = HttpClient(f"http://127.0.0.1:{free_port()}", retry_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="cannot reach"):
        client.read_flow_run(uuid.uuid4())
    with pytest.raises(TransientWriteError):
        client.write_batch([_task_record(None)], [])
    with pytest.raises(ServerUnavailable):
        client.set_flow_run_state(uuid.uuid4(), Running())
    assert time.monotonic() - started < 5


def test_get_client_follows_the_api_url(
    api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in (api_server.url, api_server.api_url, api_server.api_url + "/"):
        monkeypatch.setenv("HEADWATER_API_URL", url)
        client = open_client()
        assert isinstance(client, HttpClient) and client.api_url == api_server.api_url
        client.read_flows(limit=1)
        client.close()
        with get_client() as facade:  # Prefect's get_client: the same transport underneath
            assert facade.api_url == api_server.api_url
            facade.read_flows(limit=1)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (507, {"detail": "database or disk is full", "error": "store_full"}, "store_full"),
        (
            503,
            {"detail": "attempt to write a readonly database", "error": "store_read_only"},
            "store_read_only",
        ),
        (500, {"detail": "no such table: flow_run", "error": "schema_mismatch"}, "schema_mismatch"),
        (507, {"detail": "insufficient storage"}, "store_full"),  # a bare 507
    ],
)
def test_a_server_store_that_cannot_be_written_is_named_not_retried(
    status: int, body: dict[str, str], code: str
) -> None:
    """The error body the server answers with (``{"detail", "error"}``) becomes
    ``StoreUnwritable`` with the server's words; a busy store is retried instead."""
    import httpx

    from headwater.client.transport import _store_unwritable
    from headwater.exceptions import StoreUnwritable

    exc = _store_unwritable(httpx.Response(status, json=body), "http://h:4200/api")
    assert isinstance(exc, StoreUnwritable) and exc.code == code
    where = "the Headwater server at http://h:4200/api"
    assert str(exc) == f"{where} cannot store anything: {body['detail']} ({code})"
    busy = httpx.Response(503, json={"detail": "locked", "error": "store_busy"})
    assert _store_unwritable(busy, "http://h:4200/api") is None
