"""``/api/artifacts``: bulk writes, reads, the latest of a key, deletes, and bad input
refused field by field (422) or as missing (404)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx


def record(key: str | None, **changes: Any) -> dict[str, Any]:
    now = time.time()
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "op": "create",
        "key": key,
        "type": "markdown",
        "description": None,
        "data": json.dumps("# hi"),
        "flow_run_id": None,
        "task_run_id": None,
        "created": now,
        "updated": now,
    }
    body.update(changes)
    return body


def test_write_read_latest_delete(api: httpx.Client) -> None:
    key = f"api-{uuid.uuid4().hex[:8]}"
    first, second = record(key), record(key, data=json.dumps("# two"), created=time.time() + 1)
    assert api.post("/artifacts/bulk", json=[first, second]).json() == {"count": 2}
    latest = api.get(f"/artifacts/latest/{key}").json()
    assert latest["id"] == second["id"] and latest["data"] == "# two"
    found = api.post("/artifacts/filter", json={"artifacts": {"key": key}}).json()
    assert [a["id"] for a in found] == [second["id"], first["id"]]
    assert api.post("/artifacts/count", json={"key": key}).json() == 2
    assert api.get(f"/artifacts/{first['id']}").json()["data"] == "# hi"
    assert api.delete(f"/artifacts/key/{key}").json() == {"deleted": 2}
    missing = api.get(f"/artifacts/latest/{key}")
    assert missing.status_code == 404 and key in missing.json()["detail"]
    assert api.get(f"/artifacts/{uuid.uuid4()}").status_code == 404


def test_bad_records_are_refused_field_by_field(api: httpx.Client) -> None:
    bad = record("Bad Key", type="chart", created=-5)
    answer = api.post("/artifacts/bulk", json=[bad])
    assert answer.status_code == 422
    fields = {tuple(error["loc"][-1:]) for error in answer.json()["errors"]}
    assert {("key",), ("type",), ("created",)} <= fields
    assert api.get("/artifacts/latest/Bad%20Key").status_code == 422
    assert api.post("/artifacts/filter", json={"limit": 0}).status_code == 422


def test_resume_refuses_bad_input_field_by_field(api: httpx.Client) -> None:
    body = {"flow_name": f"pause-{uuid.uuid4().hex[:8]}", "state": {"type": "RUNNING"}}
    run_id = api.post("/flow_runs", json=body).json()["id"]
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    created = api.post(
        f"/flow_runs/{run_id}/input", json={"key": "p-schema", "value": {"schema": schema}}
    )
    assert created.status_code == 201
    paused = {"state": {"type": "PAUSED", "state_details": {"pause_key": "p"}}}
    assert api.post(f"/flow_runs/{run_id}/set_state", json=paused).status_code == 200
    bad = api.post(f"/flow_runs/{run_id}/resume", json={"run_input": {"n": "x"}})
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [["body", "run_input", "n"]]
    ok = api.post(f"/flow_runs/{run_id}/resume", json={"run_input": {"n": 3}})
    assert ok.status_code == 200 and ok.json()["state"]["type"] == "RUNNING"
    again = api.post(f"/flow_runs/{run_id}/resume", json={})
    assert again.status_code == 422 and "is not paused" in again.json()["detail"]
    assert api.get(f"/flow_runs/{run_id}/input/p-response").json() == {"value": {"n": 3}}
    missing = api.post(f"/flow_runs/{uuid.uuid4()}/resume", json={})
    assert missing.status_code == 404
