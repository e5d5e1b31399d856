"""``/api/concurrency_limits``: bad input is one clear 4xx line."""

from __future__ import annotations

import uuid

import httpx


def test_bad_requests_are_clear_4xx(api: httpx.Client) -> None:
    name = f"api-{uuid.uuid4().hex[:8]}"
    assert api.post("/concurrency_limits", json={"name": name, "limit": -1}).status_code == 422
    assert api.post("/concurrency_limits", json={"name": "", "limit": 1}).status_code == 422
    assert api.post("/concurrency_limits", json={"name": name, "limit": 1}).status_code == 200
    taken = api.post("/concurrency_limits", json={"name": name, "limit": 1})
    assert taken.status_code == 409 and "exists already" in taken.json()["detail"]
    missing = api.get(f"/concurrency_limits/{name}-nope")
    assert missing.status_code == 404 and missing.json()["error"] == "ConcurrencyLimitNotFound"
    assert api.post("/concurrency_limits/acquire", json={"names": []}).status_code == 422
    too_many = api.post("/concurrency_limits/acquire", json={"names": [name], "slots": 2})
    assert too_many.status_code == 422 and "which has 1" in too_many.json()["detail"]
    rate = api.post("/concurrency_limits/acquire", json={"names": [name], "mode": "rate_limit"})
    assert rate.status_code == 422 and "slot decay" in rate.json()["detail"]
    strict = api.post("/concurrency_limits/acquire", json={"names": [f"{name}-x"], "strict": True})
    assert strict.status_code == 404
    assert api.patch(f"/concurrency_limits/{name}", json={"limit": "x"}).status_code == 422
    assert api.post("/concurrency_limits/leave", json={"ticket": "x"}).status_code == 422
    assert api.delete(f"/concurrency_limits/{name}").json() == {"deleted": True}
