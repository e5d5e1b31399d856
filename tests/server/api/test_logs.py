"""``/api/logs``: bulk inserts (idempotent by id), filters by run, level and time."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def _run(api: httpx.Client) -> str:
    body = {"flow_name": f"flow-{uuid.uuid4().hex[:8]}", "state": {"type": "RUNNING"}}
    return str(api.post("/flow_runs", json=body).json()["id"])


def log_record(flow_run_id: str | None, i: int, level: int = 20) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "flow_run_id": flow_run_id,
        "task_run_id": None,
        "name": "headwater.flow_runs",
        "level": level,
        "message": f"line {i}",
        "timestamp": 1_700_000_000.0 + i,
    }


def test_bulk_create_is_idempotent_and_reads_in_time_order(api: httpx.Client) -> None:
    run_id = _run(api)
    records = [log_record(run_id, i) for i in reversed(range(5))]
    assert api.post("/logs/bulk", json=records).json() == {"count": 5}
    assert api.post("/logs/bulk", json=records).status_code == 200  # a retried batch
    page = api.post("/logs/filter", json={"logs": {"flow_run_id": run_id}}).json()
    assert [log["message"] for log in page["results"]] == [f"line {i}" for i in range(5)]


def test_filter_by_level_and_time_and_page_with_cursor(api: httpx.Client) -> None:
    run_id = _run(api)
    records = [log_record(run_id, i, level=40 if i % 2 else 20) for i in range(10)]
    api.post("/logs/bulk", json=records)

    def messages(**flt: Any) -> list[str]:
        body = {"logs": {"flow_run_id": run_id, **flt}}
        return [log["message"] for log in api.post("/logs/filter", json=body).json()["results"]]

    assert messages(level_ge=40) == [f"line {i}" for i in range(1, 10, 2)]
    assert messages(timestamp_after=1_700_000_007.0) == ["line 8", "line 9"]
    assert messages(timestamp_before=1_700_000_001.0) == ["line 0", "line 1"]
    seen: list[str] = []
    body: dict[str, Any] = {"logs": {"flow_run_id": run_id}, "limit": 3}
    while True:
        page = api.post("/logs/filter", json=body).json()
        seen += [log["message"] for log in page["results"]]
        if not page["next_cursor"]:
            break
        body["cursor"] = page["next_cursor"]
    assert seen == [f"line {i}" for i in range(10)]
    count = api.post("/logs/count", json={"logs": {"flow_run_id": run_id, "level_ge": 40}})
    assert count.json() == 5


def test_log_message_and_page_size_bounds(api: httpx.Client) -> None:
    run_id = _run(api)
    too_long = {**log_record(run_id, 0), "message": "x" * 100_001}
    response = api.post("/logs/bulk", json=[too_long])
    assert response.status_code == 422 and "message" in response.json()["detail"]
    assert api.post("/logs/filter", json={"limit": 1001}).status_code == 422
    assert api.post("/logs/filter", json={"limit": 0}).status_code == 422
    missing = str(uuid.uuid4())
    assert api.post("/logs/bulk", json=[log_record(missing, 0)]).status_code == 404
