"""``/api/flows`` and the server endpoints (health, version, docs)."""

from __future__ import annotations

import uuid

import httpx

from tests._servers import ServerProcess


def test_create_is_get_or_create_by_name(api: httpx.Client) -> None:
    name = f"flow-{uuid.uuid4().hex[:8]}"
    first = api.post("/flows", json={"name": name})
    again = api.post("/flows", json={"name": name})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert api.get(f"/flows/{first.json()['id']}").json()["name"] == name
    assert api.get(f"/flows/name/{name}").json()["id"] == first.json()["id"]


def test_filter_by_name(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    for suffix in ("a", "b"):
        api.post("/flows", json={"name": f"{tag}-{suffix}"})
    found = api.post("/flows/filter", json={"name_like": tag}).json()
    assert [flow["name"] for flow in found] == [f"{tag}-a", f"{tag}-b"]
    assert len(api.post("/flows/filter", json={"name_like": tag, "limit": 1}).json()) == 1


def test_delete_flow_deletes_its_runs(api: httpx.Client) -> None:
    name = f"flow-{uuid.uuid4().hex[:8]}"
    run = api.post("/flow_runs", json={"flow_name": name}).json()
    assert api.delete(f"/flows/{run['flow_id']}").status_code == 204
    assert api.get(f"/flow_runs/{run['id']}").status_code == 404
    assert api.get(f"/flows/name/{name}").status_code == 404


def test_health_version_and_docs(api: httpx.Client) -> None:
    assert api.get("/health").json() == {"status": "ok"}
    version = api.get("/version").json()
    assert version["database"] in ("sqlite", "postgresql") and version["version"]
    spec = api.get("/openapi.json").json()
    assert "/api/flow_runs" in spec["paths"] and "TaskRunRecordIn" in spec["components"]["schemas"]
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_the_root_is_the_web_ui_and_the_api_stays_json(api_server: ServerProcess) -> None:
    root = httpx.get(f"{api_server.url}/")
    assert root.status_code == 200 and "text/html" in root.headers["content-type"]
    assert httpx.get(f"{api_server.url}/api/no-such-route").json()["detail"]
