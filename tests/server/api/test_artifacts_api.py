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
