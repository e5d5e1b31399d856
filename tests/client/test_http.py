"""``HttpClient`` against a real server (SQLite and PostgreSQL): what only the HTTP
transport has (retries, an unreachable server, refused records bisected, URL forms).
The protocol itself is checked for both transports in ``conformance/``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.client import get_client, open_client
from headwater.client.http import HttpClient
from headwater.client.writer import RecordsRefused, TransientWriteError
from headwater.exceptions import ServerRequestError, ServerUnavailable
from headwater.schemas.filters import LogFilter, TaskRunFilter
from headwater.states import Running
from tests._servers import ServerProcess, free_port
from tests.client.conformance.records import log_record, task_record


@pytest.fixture
def client(api_server: ServerProcess) -> Iterator[HttpClient]:
    with HttpClient(api_server.url, retry_seconds=5) as http:
        yield http


def _new_run(client: HttpClient, **fields: Any) -> Any:
    flow_name = f"http-{uuid.uuid4().hex[:8]}"
    created = client.create_flow_run(
        {"id": uuid.uuid4(), "flow_name": flow_name, "name": "r", **fields}, Running()
    )
    return created


def test_invalid_requests_raise_server_request_error(client: HttpClient) -> None:
    with pytest.raises(ServerRequestError, match="tags"):
        client.create_flow_run({"flow_name": "x", "name": "r", "tags": ["t"] * 101}, Running())


def test_write_batch_keeps_good_records_when_some_are_refused(client: HttpClient) -> None:
    run = _new_run(client)
    good = [task_record(run["id"], dynamic_key=str(i)) for i in range(9)]
    bad = task_record(run["id"], state_type="NOT-A-STATE")
    cleaned = task_record(run["id"], name="nul\x00name", state_message="x" * 200_000)
    with pytest.raises(RecordsRefused) as refused:
        client.write_batch([*good[:4], bad, *good[4:], cleaned], [log_record(run["id"], "a\x00b")])
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
        client.write_batch([task_record(None)], [])
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
