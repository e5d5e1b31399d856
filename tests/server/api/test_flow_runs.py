"""``/api/flow_runs`` against a real server process (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx


def _flow() -> str:
    return f"flow-{uuid.uuid4().hex[:10]}"


def _create(api: httpx.Client, **body: object) -> dict:
    response = api.post("/flow_runs", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_create_then_read(api: httpx.Client) -> None:
    name = _flow()
    response = api.post(
        "/flow_runs",
        json={"flow_name": name, "name": "first", "parameters": {"x": [1, 2]}, "tags": ["a"]},
    )
    assert response.status_code == 201
    run = response.json()
    assert run["flow_name"] == name
    assert run["state"]["type"] == "PENDING"
    assert run["parameters"] == {"x": [1, 2]}
    read = api.get(f"/flow_runs/{run['id']}").json()
    assert read["id"] == run["id"] and read["name"] == "first" and read["tags"] == ["a"]


def test_create_without_name_gets_a_generated_one(api: httpx.Client) -> None:
    run = _create(api, flow_name=_flow())
    assert "-" in run["name"]


def test_repeated_create_with_same_id_returns_the_same_run(api: httpx.Client) -> None:
    run_id = str(uuid.uuid4())
    first = api.post("/flow_runs", json={"id": run_id, "flow_name": _flow(), "name": "a"})
    again = api.post("/flow_runs", json={"id": run_id, "flow_name": "other", "name": "b"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["name"] == "a"


def test_repeated_create_with_same_idempotency_key_returns_the_same_run(
    api: httpx.Client,
) -> None:
    name = _flow()
    first = _create(api, flow_name=name, idempotency_key="k-1")
    again = api.post("/flow_runs", json={"flow_name": name, "idempotency_key": "k-1"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    other_flow = _create(api, flow_name=_flow(), idempotency_key="k-1")
    assert other_flow["id"] != first["id"]  # keys are per flow


def test_filter_by_flow_state_tags_and_parent(api: httpx.Client) -> None:
    name = _flow()
    parent = _create(api, flow_name=name, tags=["nightly", "etl"], state={"type": "RUNNING"})
    child = _create(api, flow_name=name, parent_flow_run_id=parent["id"], tags=["etl"])
    _create(api, flow_name=name, state={"type": "COMPLETED"})

    def ids(**flt: object) -> set[str]:
        body = {"flow_runs": {"flow_names": [name], **flt}}
        page = api.post("/flow_runs/filter", json=body).json()
        return {run["id"] for run in page["results"]}

    assert len(ids()) == 3
    assert ids(state_types=["RUNNING"]) == {parent["id"]}
    assert ids(tags_all=["etl"]) == {parent["id"], child["id"]}
    assert ids(tags_all=["etl", "nightly"]) == {parent["id"]}
    assert ids(parent_flow_run_id=parent["id"]) == {child["id"]}
    count = api.post("/flow_runs/count", json={"flow_runs": {"flow_names": [name]}}).json()
    assert count == 3


def test_filter_by_start_time_window(api: httpx.Client) -> None:
    name = _flow()
    run = _create(api, flow_name=name, state={"type": "RUNNING"})
    started = dt.datetime.fromisoformat(run["start_time"])
    before = (started - dt.timedelta(seconds=5)).isoformat()
    after = (started + dt.timedelta(seconds=5)).isoformat()

    def found(**window: str) -> bool:
        body = {"flow_runs": {"flow_names": [name], **window}}
        return bool(api.post("/flow_runs/filter", json=body).json()["results"])

    assert found(start_time_after=before, start_time_before=after)
    assert not found(start_time_after=after)
    assert not found(start_time_before=before)


def test_sort_and_keyset_pagination_visit_every_run_once(api: httpx.Client) -> None:
    name = _flow()
    created = [_create(api, flow_name=name, name=f"run-{i:02d}")["id"] for i in range(7)]
    seen: list[str] = []
    body: dict = {"flow_runs": {"flow_names": [name]}, "sort": "NAME_ASC", "limit": 3}
    while True:
        page = api.post("/flow_runs/filter", json=body).json()
        seen += [run["id"] for run in page["results"]]
        if page["next_cursor"] is None:
            break
        body["cursor"] = page["next_cursor"]
    assert seen == created
    offset_page = api.post(
        "/flow_runs/filter",
        json={"flow_runs": {"flow_names": [name]}, "sort": "NAME_ASC", "limit": 2, "offset": 5},
    ).json()
    assert [run["id"] for run in offset_page["results"]] == created[5:]


def test_newest_first_by_default(api: httpx.Client) -> None:
    name = _flow()
    first = _create(api, flow_name=name)
    second = _create(api, flow_name=name)
    page = api.post("/flow_runs/filter", json={"flow_runs": {"flow_names": [name]}}).json()
    assert [r["id"] for r in page["results"]] == [second["id"], first["id"]]


def test_cursor_from_another_sort_is_refused(api: httpx.Client) -> None:
    name = _flow()
    for _ in range(2):
        _create(api, flow_name=name)
    page = api.post(
        "/flow_runs/filter", json={"flow_runs": {"flow_names": [name]}, "limit": 1}
    ).json()
    response = api.post(
        "/flow_runs/filter", json={"sort": "NAME_ASC", "cursor": page["next_cursor"]}
    )
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]
    garbage = api.post("/flow_runs/filter", json={"cursor": "not-a-cursor"})
    assert garbage.status_code == 422


def test_set_state_accepts_and_keeps_history(api: httpx.Client) -> None:
    run = _create(api, flow_name=_flow(), state={"type": "RUNNING"})
    answer = api.post(
        f"/flow_runs/{run['id']}/set_state",
        json={"state": {"type": "COMPLETED", "message": "done"}},
    ).json()
    assert answer["status"] == "ACCEPT" and answer["state"]["type"] == "COMPLETED"
    history = api.get(f"/flow_runs/{run['id']}/states").json()
    assert [s["type"] for s in history] == ["RUNNING", "COMPLETED"]
    read = api.get(f"/flow_runs/{run['id']}").json()
    assert read["end_time"] is not None and read["state"]["message"] == "done"


def test_rejected_proposal_answers_with_current_state_and_reason(api: httpx.Client) -> None:
    run = _create(api, flow_name=_flow(), state={"type": "COMPLETED"})
    answer = api.post(
        f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "RUNNING"}}
    ).json()
    assert answer["status"] == "REJECT"
    assert answer["state"]["type"] == "COMPLETED"
    assert "finished" in answer["reason"]
    forced = api.post(
        f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "RUNNING"}, "force": True}
    ).json()
    assert forced["status"] == "ACCEPT"


def test_failed_run_with_retries_left_is_scheduled_again(api: httpx.Client) -> None:
    run = _create(
        api,
        flow_name=_flow(),
        empirical_policy={"retries": 1, "retry_delay_seconds": 30},
        state={"type": "RUNNING"},
    )
    answer = api.post(
        f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "FAILED", "message": "x"}}
    ).json()
    assert answer["status"] == "REJECT"
    assert answer["state"]["name"] == "AwaitingRetry"
    when = dt.datetime.fromisoformat(answer["state"]["state_details"]["scheduled_time"])
    assert when > dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=20)


def test_delete_removes_the_run(api: httpx.Client) -> None:
    run = _create(api, flow_name=_flow())
    assert api.delete(f"/flow_runs/{run['id']}").status_code == 204
    assert api.get(f"/flow_runs/{run['id']}").status_code == 404
    assert api.delete(f"/flow_runs/{run['id']}").status_code == 404


def test_unknown_ids_are_404_with_detail(api: httpx.Client) -> None:
    missing = uuid.uuid4()
    for response in (
        api.get(f"/flow_runs/{missing}"),
        api.get(f"/flow_runs/{missing}/states"),
        api.post(f"/flow_runs/{missing}/set_state", json={"state": {"type": "RUNNING"}}),
    ):
        assert response.status_code == 404
        assert str(missing) in response.json()["detail"]
