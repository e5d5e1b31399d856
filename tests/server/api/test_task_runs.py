"""``/api/task_runs``: bulk upserts (idempotent, never backwards) and filtered reads."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx


def _run(api: httpx.Client) -> str:
    body = {"flow_name": f"flow-{uuid.uuid4().hex[:8]}", "state": {"type": "RUNNING"}}
    return str(api.post("/flow_runs", json=body).json()["id"])


def task_record(flow_run_id: str | None, **changes: Any) -> dict[str, Any]:
    now = time.time()
    record = {
        "id": str(uuid.uuid4()),
        "flow_run_id": flow_run_id,
        "task_key": "add-1a2b",
        "dynamic_key": "0",
        "name": "add-0",
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": ["t"],
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
    return record


def test_bulk_upsert_then_read_and_filter(api: httpx.Client) -> None:
    run_id = _run(api)
    upstream = task_record(run_id, name="a-0")
    downstream = task_record(
        run_id,
        name="b-0",
        state_type="FAILED",
        state_name="Failed",
        state_message="ValueError: x",
        inputs={"x": [upstream["id"]]},
        transitions=[["PENDING", "Pending", 1.0], ["FAILED", "Failed", 2.0, "ValueError: x"]],
    )
    answer = api.post("/task_runs/bulk", json=[upstream, downstream])
    assert answer.status_code == 200 and answer.json() == {"count": 2}
    read = api.get(f"/task_runs/{downstream['id']}").json()
    assert read["inputs"] == {"x": [upstream["id"]]}
    assert [t["type"] for t in read["transitions"]] == ["PENDING", "FAILED"]
    page = api.post(
        "/task_runs/filter",
        json={"task_runs": {"flow_run_ids": [run_id], "state_types": ["FAILED"]}},
    ).json()
    assert [t["id"] for t in page["results"]] == [downstream["id"]]
    count = api.post("/task_runs/count", json={"task_runs": {"flow_run_ids": [run_id]}}).json()
    assert count == 2


def test_upsert_is_idempotent_and_never_goes_back_in_time(api: httpx.Client) -> None:
    run_id = _run(api)
    running = task_record(run_id, state_type="RUNNING", state_name="Running", end_time=None)
    done = {**running, "state_type": "COMPLETED", "state_name": "Completed"}
    done["updated"] = running["updated"] + 1
    for batch in ([running], [done], [done], [running]):  # retried and reordered
        assert api.post("/task_runs/bulk", json=batch).status_code == 200
    assert api.get(f"/task_runs/{running['id']}").json()["state"]["type"] == "COMPLETED"


def test_task_runs_without_a_flow_run_are_accepted(api: httpx.Client) -> None:
    record = task_record(None)
    assert api.post("/task_runs/bulk", json=[record]).status_code == 200


def test_records_for_an_unknown_flow_run_are_404(api: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    response = api.post("/task_runs/bulk", json=[task_record(missing)])
    assert response.status_code == 404 and missing in response.json()["detail"]


def test_keyset_pagination_of_task_runs(api: httpx.Client) -> None:
    run_id = _run(api)
    records = [task_record(run_id, created=1000.0 + i // 2) for i in range(9)]  # ties
    api.post("/task_runs/bulk", json=records)
    seen: list[str] = []
    body: dict[str, Any] = {"task_runs": {"flow_run_ids": [run_id]}, "limit": 4}
    while True:
        page = api.post("/task_runs/filter", json=body).json()
        seen += [t["id"] for t in page["results"]]
        if not page["next_cursor"]:
            break
        body["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(r["id"] for r in records) and len(seen) == 9


def test_bad_records_are_422_naming_the_field(api: httpx.Client) -> None:
    run_id = _run(api)
    cases = [
        (task_record(run_id, state_type="DONE"), "state_type"),
        (task_record(run_id, name="x" * 301), "name"),
        (task_record(run_id, created=float("1e300")), "created"),
        (task_record(run_id, state_message="a\x00b"), "state_message"),
        (task_record(run_id, inputs={"x": ["not-a-uuid"]}), "inputs"),
        (task_record(run_id, inputs={"x": ["00000000-00000000-0000-0000-000000000000"]}), "inputs"),
        ({**task_record(run_id), "surprise": 1}, "surprise"),
    ]
    for record, field in cases:
        response = api.post("/task_runs/bulk", json=[record])
        assert response.status_code == 422, (field, response.text)
        assert field in response.json()["detail"], response.json()
    too_many = api.post("/task_runs/bulk", json=[task_record(run_id)] * 5001)
    assert too_many.status_code == 422
    assert (
        api.post(
            "/task_runs/bulk", content=b"[{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
