"""``/api/events`` on a real server: bad events are one clear 4xx line, and the live
stream delivers a committed event to a reader at once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import httpx

from tests._servers import ServerProcess


def test_bad_events_are_refused_with_one_line(api: httpx.Client) -> None:
    for body, expected in (
        (b"{not json", "not JSON"),
        (b'[{"event": "x"}]', "missing 'resource'"),
        (b'[{"event": "x", "resource": {"a": "b"}}]', "resource.id"),
        (b'"text"', "must be a list"),
    ):
        answer = api.post("/events", content=body)
        assert answer.status_code == 422, answer.text
        assert expected in answer.json()["detail"]
    bad_filter = api.post("/events/filter", json={"filter": {"order": "SIDEWAYS"}})
    assert bad_filter.status_code == 422


def test_stream_delivers_new_events(api_server: ServerProcess, api: httpx.Client) -> None:
    rid = f"stream.thing.{uuid.uuid4().hex[:8]}"
    got: list[dict[str, Any]] = []
    ready = threading.Event()

    def read() -> None:
        url = f"{api_server.api_url}/events/stream"
        with httpx.stream("GET", url, params={"resource": rid}, timeout=20) as response:
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(10)
    sent = time.monotonic()
    event = {"event": "stream.thing.moved", "resource": {"headwater.resource.id": rid}}
    assert api.post("/events", json=[event]).status_code == 204
    reader.join(10)
    assert [e["event"] for e in got] == ["stream.thing.moved"]
    assert time.monotonic() - sent < 5
    counted = api.post("/events/count", json={"resource": {"id": [rid]}})
    assert counted.json() == 1
