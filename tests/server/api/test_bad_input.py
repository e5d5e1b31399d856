"""A client's mistake is a 4xx with a one-line ``detail`` naming what was wrong."""

from __future__ import annotations

import uuid

import httpx


def test_malformed_json_is_422_naming_the_body(api: httpx.Client) -> None:
    response = api.post(
        "/flow_runs", content=b'{"flow_name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body")


def test_fields_are_bounded_and_named(api: httpx.Client) -> None:
    cases = {
        "flow_name": {"flow_name": "x" * 201},
        "name": {"flow_name": "f", "name": "bad\nname"},
        "tags": {"flow_name": "f", "tags": ["t"] * 101},
        "parameters": {"flow_name": "f", "parameters": {"big": "x" * 1_000_001}},
        "retries": {"flow_name": "f", "empirical_policy": {"retries": -1}},
        "expected_start_time": {
            "flow_name": "f",
            "expected_start_time": "9999-12-31T23:59:59-12:00",
        },
        "state.type": {"flow_name": "f", "state": {"type": "DONE"}},
        "unexpected": {"flow_name": "f", "unexpected": 1},
    }
    for field, body in cases.items():
        response = api.post("/flow_runs", json=body)
        assert response.status_code == 422, (field, response.text)
        detail = response.json()["detail"]
        assert field.split(".")[-1] in detail, (field, detail)


def test_page_size_and_offset_are_bounded(api: httpx.Client) -> None:
    for body in ({"limit": 1001}, {"limit": 0}, {"offset": -1}, {"sort": "SIDEWAYS"}):
        assert api.post("/flow_runs/filter", json=body).status_code == 422, body


def test_bad_ids_and_unknown_paths(api: httpx.Client) -> None:
    assert api.get("/flow_runs/not-a-uuid").status_code == 422
    assert api.get(f"/task_runs/{uuid.uuid4()}").status_code == 404
    assert api.get("/no/such/thing").status_code == 404


def test_oversized_body_is_413(api: httpx.Client) -> None:
    body = b"[" + b" " * (64 * 1024 * 1024) + b"]"
    response = api.post("/logs/bulk", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_nul_characters_and_nan_are_refused_not_500(api: httpx.Client) -> None:
    for body in (
        {"flow_name": "f", "parameters": {"k": "a\u0000b"}},
        {"flow_name": "f\u0000"},
        {"flow_name": "f", "idempotency_key": "a\u0000"},
    ):
        response = api.post("/flow_runs", json=body)
        assert response.status_code == 422, response.text
    nan = api.post(
        "/flow_runs",
        content=b'{"flow_name": "f", "parameters": {"x": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    name_filter = api.post("/flow_runs/filter", json={"flow_runs": {"name_like": "a\u0000"}})
    assert name_filter.status_code == 422


def test_values_no_store_keeps_are_refused_alike_naming_the_field(api: httpx.Client) -> None:
    """Lone surrogates, NUL and NaN: a 422 naming the field on SQLite and PostgreSQL
    alike (a surrogate stored on SQLite used to make every later listing a 500)."""
    flow = f"bad-input-{uuid.uuid4().hex[:8]}"
    cases = [
        (b'{"flow_name": "%s", "parameters": {"p": "\\ud800"}}', "parameters.p", "surrogate"),
        (b'{"flow_name": "%s", "parameters": {"p": ["\\u0000"]}}', "parameters.p[0]", "NUL"),
        (b'{"flow_name": "%s", "parameters": {"p": Infinity}}', "parameters.p", "Infinity"),
        (b'{"flow_name": "%s", "name": "r\\udfff"}', "body.name", "unicode"),
    ]
    for body, field, why in cases:
        response = api.post(
            "/flow_runs",
            content=body % flow.encode(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert field in response.json()["detail"] and why in response.json()["detail"]
    variable = api.post(
        "/variables",
        content=b'{"name": "bad_input_var", "value": {"k": "a\\u0000b"}}',
        headers={"content-type": "application/json"},
    )
    assert variable.status_code == 422 and "NUL" in variable.json()["detail"]
    logs = api.post(
        "/logs/bulk",
        json=[
            {
                "id": str(uuid.uuid4()),
                "flow_run_id": None,
                "task_run_id": None,
                "name": "logger\u0000name",
                "level": 20,
                "message": "m",
                "timestamp": 1.0,
            }
        ],
    )
    assert logs.status_code == 422 and "NUL" in logs.json()["detail"]
    listing = api.post("/flow_runs/filter", json={"flow_runs": {"flow_names": [flow]}})
    assert listing.status_code == 200 and listing.json()["results"] == []
