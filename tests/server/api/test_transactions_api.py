"""``/api/flow_runs/{id}/transactions`` and ``/api/transactions/bulk`` on a real server
(SQLite and PostgreSQL): a flow run in this process reports its transactions over
HTTP and reads them back; bad ids and records are refused (404, 422), never a 500."""

from __future__ import annotations

import time
import uuid
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests._servers import ServerProcess


def test_a_flow_runs_transactions_over_http(
    api: httpx.Client, api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater import flow, task
    from headwater.client.writer import flush_all
    from headwater.context import FlowRunContext
    from headwater.transactions import transaction

    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)

    def undo(txn: Any) -> None:
        raise RuntimeError("undo failed")

    @task(on_rollback=[undo])
    def step() -> int:
        return 1

    @flow
    def over_http() -> UUID:
        with transaction(key="kept"):
            step()
        try:
            with transaction(key="undone"):
                step()
                raise ValueError("stop")
        except ValueError:
            pass
        ctx = FlowRunContext.get()
        assert ctx is not None
        return ctx.flow_run_id

    run_id = over_http()
    assert flush_all(30)
    found = api.get(f"/flow_runs/{run_id}/transactions").json()
    assert [(t["key"], t["outcome"], t["task_count"]) for t in found] == [
        ("kept", "COMMITTED", 1),
        ("undone", "ROLLED_BACK", 1),
    ]
    (hook,) = found[1]["hooks"]
    assert (hook["name"], hook["kind"], hook["ok"], hook["error"]) == (
        "undo",
        "rollback",
        False,
        "RuntimeError: undo failed",
    )
    assert hook["task_run_id"] == found[1]["task_run_ids"][0]


def test_bad_ids_and_records_are_refused(api: httpx.Client) -> None:
    missing = api.get(f"/flow_runs/{uuid.uuid4()}/transactions")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    bad_id = api.get("/flow_runs/not-a-uuid/transactions")
    assert bad_id.status_code == 422 and bad_id.json()["detail"]
    run_id = api.post("/flow_runs", json={"flow_name": f"txn-{uuid.uuid4().hex[:8]}"}).json()["id"]
    assert api.get(f"/flow_runs/{run_id}/transactions").json() == []
    now = time.time()
    good: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "flow_run_id": run_id,
        "parent_id": None,
        "key": "k",
        "implicit": False,
        "isolation_level": "READ_COMMITTED",
        "commit_mode": "LAZY",
        "outcome": "COMMITTED",
        "reused": False,
        "flow_run_attempt": 1,
        "start_time": now,
        "end_time": now,
        "task_run_ids": [],
        "task_count": 0,
        "hooks": [],
        "hook_count": 0,
        "failed_hook_count": 0,
    }
    bad = {**good, "outcome": "DISCARDED", "isolation_level": "DIRTY", "key": "x\x00y"}
    answer = api.post("/transactions/bulk", json=[bad])
    assert answer.status_code == 422
    fields = {error["loc"][-1] for error in answer.json()["errors"]}
    assert {"outcome", "isolation_level", "key"} <= fields
    assert api.post("/transactions/bulk", json=[{**good, "extra": 1}]).status_code == 422
    unknown_run = api.post("/transactions/bulk", json=[{**good, "flow_run_id": str(uuid.uuid4())}])
    assert unknown_run.status_code == 404
    assert api.post("/transactions/bulk", json=[good]).json() == {"count": 1}
    assert [t["key"] for t in api.get(f"/flow_runs/{run_id}/transactions").json()] == ["k"]
