"""The deployments and work-pools API against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer"}, "tag": {"type": "string"}},
    "required": ["n"],
    "additionalProperties": False,
}


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _deployment(api: httpx.Client, **fields) -> dict:
    body = {
        "flow_name": fields.pop("flow_name", _unique("flow")),
        "name": "nightly",
        "entrypoint": "flows.py:etl",
        "parameters": {"n": 1},
        "parameter_schema": SCHEMA,
        **fields,
    }
    response = api.post("/deployments", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_apply_read_update_and_delete(api: httpx.Client) -> None:
    flow = _unique("flow")
    body = {
        "flow_name": flow,
        "name": "nightly",
        "entrypoint": "flows.py:etl",
        "schedules": [{"cron": "0 6 * * *", "timezone": "Europe/Paris"}],
    }
    first = api.post("/deployments", json=body)
    assert first.status_code == 201
    again = api.post("/deployments", json=body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    d = again.json()
    assert d["full_name"] == f"{flow}/nightly"
    assert d["schedules"][0]["description"] == "cron 0 6 * * *"
    by_name = api.get(f"/deployments/name/{flow}/nightly").json()
    assert by_name["id"] == d["id"]
    listed = api.post("/deployments/filter", json={"deployments": {"flow_names": [flow]}}).json()
    assert [x["id"] for x in listed] == [d["id"]]
    schedule_id = d["schedules"][0]["id"]
    toggled = api.patch(f"/deployments/{d['id']}/schedules/{schedule_id}", json={"active": False})
    assert toggled.json()["schedules"][0]["active"] is False
    assert api.post(f"/deployments/{d['id']}/pause").json()["paused"] is True
    assert api.post(f"/deployments/{d['id']}/resume").json()["paused"] is False
    assert api.delete(f"/deployments/{d['id']}").status_code == 204
    missing = api.get(f"/deployments/{d['id']}")
    assert missing.status_code == 404 and missing.json()["error"] == "DeploymentNotFound"


def test_bad_deployments_are_422_naming_the_field(api: httpx.Client) -> None:
    base = {"flow_name": "f", "name": "d", "entrypoint": "flows.py:etl"}
    bad_cron = api.post("/deployments", json={**base, "schedules": [{"cron": "0 25 * * *"}]})
    assert bad_cron.status_code == 422 and "cron '0 25 * * *'" in bad_cron.json()["detail"]
    bad_zone = api.post(
        "/deployments", json={**base, "schedules": [{"cron": "0 1 * * *", "timezone": "Nowhere"}]}
    )
    assert bad_zone.status_code == 422 and "timezone 'Nowhere'" in bad_zone.json()["detail"]
    slash = api.post("/deployments", json={**base, "name": "a/b"})
    assert slash.status_code == 422 and "cannot contain '/'" in slash.json()["detail"]
    entry = api.post("/deployments", json={**base, "entrypoint": "no-colon"})
    assert entry.status_code == 422 and "entrypoint" in entry.json()["detail"]
    step = api.post("/deployments", json={**base, "pull_steps": [{"git_pull": {}}]})
    assert step.status_code == 422 and "unknown step 'git_pull'" in step.json()["detail"]
    pool = api.post("/deployments", json={**base, "work_pool_name": "ghost"})
    assert pool.status_code == 404 and "work pool 'ghost' not found" in pool.json()["detail"]


def test_runs_are_validated_when_created(api: httpx.Client) -> None:
    d = _deployment(api)
    bad = api.post(f"/deployments/{d['id']}/create_flow_run", json={"parameters": {"n": "x"}})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "parameter 'n': 'x' is not an integer"
    assert bad.json()["errors"][0]["loc"] == ["body", "parameters", "n"]
    extra = api.post(f"/deployments/{d['id']}/create_flow_run", json={"parameters": {"m": 1}})
    assert "'m'" in extra.json()["detail"]
    ok = api.post(f"/deployments/{d['id']}/create_flow_run", json={"parameters": {"tag": "t"}})
    assert ok.status_code == 201
    run = ok.json()
    assert run["parameters"] == {"n": 1, "tag": "t"} and run["deployment_id"] == d["id"]
    assert run["state"]["name"] == "Scheduled"
    flt = {"flow_runs": {"deployment_ids": [d["id"]]}}
    assert [r["id"] for r in api.post("/flow_runs/filter", json=flt).json()["results"]] == [
        run["id"]
    ]


def test_work_pools_queues_and_workers(api: httpx.Client) -> None:
    name = _unique("pool")
    created = api.post("/work_pools", json={"name": name, "type": "process"})
    assert created.status_code == 201 and created.json()["status"] == "NOT_READY"
    assert api.post("/work_pools", json={"name": name}).status_code == 409
    assert api.post("/work_pools", json={"name": "x", "type": "K8s pods"}).status_code == 422
    queue = api.post(f"/work_pools/{name}/queues", json={"name": "fast", "priority": 2})
    assert queue.status_code == 201
    queues = [q["name"] for q in api.get(f"/work_pools/{name}/queues").json()]
    assert queues == ["default", "fast"]
    assert api.post(f"/work_pools/{name}/pause").json()["status"] == "PAUSED"
    api.post(f"/work_pools/{name}/resume")
    heartbeat = {"name": "w1", "hostname": "h", "pid": 1, "heartbeat_seconds": 30}
    assert api.post(f"/work_pools/{name}/workers/heartbeat", json=heartbeat).status_code == 204
    workers = api.get(f"/work_pools/{name}/workers").json()
    assert workers[0]["name"] == "w1" and workers[0]["online"] is True
    assert api.get(f"/work_pools/{name}").json()["status"] == "READY"
    patched = api.patch(f"/work_pools/{name}/queues/fast", json={"concurrency_limit": 2})
    assert patched.json()["concurrency_limit"] == 2
    assert api.delete(f"/work_pools/{name}/queues/default").status_code == 422
    assert api.delete(f"/work_pools/{name}").status_code == 204
    assert api.get(f"/work_pools/{name}").status_code == 404


def test_a_waiting_worker_learns_of_new_work_within_a_second(api: httpx.Client) -> None:
    pool = _unique("pool")
    api.post("/work_pools", json={"name": pool})
    d = _deployment(api, work_pool_name=pool)
    answer: dict = {}

    def wait() -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as other:
            started = time.monotonic()
            response = other.post(
                f"/work_pools/{pool}/get_scheduled_flow_runs",
                json={"worker_name": "w", "wait_seconds": 10, "limit": 5},
            )
            answer["returned"] = time.monotonic()
            answer["elapsed"] = answer["returned"] - started
            answer["body"] = response.json()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(1.0)  # the worker is now waiting
    created_at = time.monotonic()
    run = api.post(f"/deployments/{d['id']}/create_flow_run", json={}).json()
    thread.join(15)
    assert [r["id"] for r in answer["body"]["flow_runs"]] == [run["id"]]
    assert answer["body"]["flow_runs"][0]["state"]["name"] == "Pending"
    assert answer["returned"] - created_at < 1.0, answer  # woken, not after the 10 s wait


def test_a_waiting_worker_claims_the_next_run_as_soon_as_a_limited_run_ends(
    api: httpx.Client,
) -> None:
    """Deployment concurrency limit 1: the run that ends frees the slot, and the
    worker's waiting claim (the long-poll a worker makes) gets the next run at once,
    not at the server's next recheck (RECHECK_SECONDS, 0.5 s) nor at a poll interval."""
    pool = _unique("pool")
    api.post("/work_pools", json={"name": pool})
    d = _deployment(api, work_pool_name=pool, concurrency_limit=1)
    runs = [api.post(f"/deployments/{d['id']}/create_flow_run", json={}).json() for _ in range(4)]
    claim = {"worker_name": "w", "limit": 5, "watched_ids": []}
    got = api.post(f"/work_pools/{pool}/get_scheduled_flow_runs", json=claim).json()
    assert [r["id"] for r in got["flow_runs"]] == [runs[0]["id"]]  # the limit holds
    current = runs[0]["id"]
    latencies = []
    for number, expected in enumerate(runs[1:]):
        answer: dict = {}
        worker = f"w{number}"

        def wait(answer: dict = answer, worker: str = worker) -> None:
            with httpx.Client(base_url=str(api.base_url), timeout=30) as other:
                response = other.post(
                    f"/work_pools/{pool}/get_scheduled_flow_runs",
                    json={**claim, "worker_name": worker, "wait_seconds": 10},
                )
                answer["returned"] = time.monotonic()
                answer["body"] = response.json()

        thread = threading.Thread(target=wait)
        thread.start()
        # Its first look is done (it heartbeats in that look's transaction): it waits
        # now, its next recheck up to 0.5 s away.
        deadline = time.monotonic() + 30
        while worker not in {w["name"] for w in api.get(f"/work_pools/{pool}/workers").json()}:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        ended = time.monotonic()
        api.post(
            f"/flow_runs/{current}/set_state", json={"state": {"type": "COMPLETED"}}
        ).raise_for_status()
        thread.join(15)
        assert [r["id"] for r in answer["body"]["flow_runs"]] == [expected["id"]]
        latencies.append(answer["returned"] - ended)
        current = expected["id"]
    assert max(latencies) < 1.0, latencies
    # Notified, not found by a recheck: the fastest of three is well under 0.5 s.
    assert min(latencies) < 0.2, latencies


def test_cancel_heartbeat_and_crash_endpoints(api: httpx.Client) -> None:
    pool = _unique("pool")
    api.post("/work_pools", json={"name": pool})
    d = _deployment(api, work_pool_name=pool, empirical_policy={"retries": 1})
    waiting = api.post(f"/deployments/{d['id']}/create_flow_run", json={}).json()
    assert api.post(f"/flow_runs/{waiting['id']}/cancel").json()["name"] == "Cancelled"
    running = api.post(f"/deployments/{d['id']}/create_flow_run", json={}).json()
    claim = {"worker_name": "w", "limit": 1, "watched_ids": []}
    got = api.post(f"/work_pools/{pool}/get_scheduled_flow_runs", json=claim).json()
    assert [r["id"] for r in got["flow_runs"]] == [running["id"]]
    api.post(
        f"/flow_runs/{running['id']}/set_state", json={"state": {"type": "RUNNING"}}
    ).raise_for_status()
    beat = api.post(f"/flow_runs/{running['id']}/heartbeat", json={"pid": "123"})
    assert beat.json() == {"state_type": "RUNNING"}
    crashed = api.post(f"/flow_runs/{running['id']}/crash", json={"message": "exit code 9"})
    assert crashed.json()["name"] == "AwaitingRetry"  # one retry left
    late = api.post(
        f"/deployments/{d['id']}/create_flow_run",
        json={"scheduled_time": time.time() + 3600},
    ).json()
    bulk = api.post(
        "/flow_runs/cancel",
        json={"flow_runs": {"deployment_ids": [d["id"]], "state_types": ["SCHEDULED"]}},
    ).json()
    assert set(bulk["cancelled"]) == {late["id"], running["id"]}
    assert api.post(f"/flow_runs/{uuid.uuid4()}/cancel").status_code == 404


def test_openapi_documents_the_new_resources(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/deployments",
        "/api/deployments/{deployment_id}/create_flow_run",
        "/api/deployments/{deployment_id}/schedules/{schedule_id}",
        "/api/work_pools/{name}/get_scheduled_flow_runs",
        "/api/work_pools/{name}/workers",
        "/api/flow_runs/cancel",
        "/api/flow_runs/{flow_run_id}/cancel",
    ):
        assert path in paths, path
