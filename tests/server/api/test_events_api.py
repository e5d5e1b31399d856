"""``/api/events`` on a real server: bad events are one clear 4xx line, and the live
stream delivers a committed event to a reader at once."""

from __future__ import annotations

import datetime as dt
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


def test_a_batch_is_stored_as_sent_once_per_id(api: httpx.Client) -> None:
    """The bulk insert (one statement per batch on PostgreSQL) keeps every field,
    skips an id repeated in a batch or sent again, and files related ids."""
    tag = uuid.uuid4().hex[:8]
    first, follows = str(uuid.uuid4()), str(uuid.uuid4())
    # An hour ago, to the microsecond: within the server's event retention (7 days),
    # whose service would otherwise delete the event while the test reads it.
    occurred_at = int(time.time()) - 3600 + 0.123456
    batch: list[dict[str, Any]] = [
        {
            "id": first,
            "occurred": occurred_at,
            "event": f"prefect.bulk.{tag}",
            "resource": {"prefect.resource.id": f"bulk.{tag}.0", "n": 7},
            "related": [
                {"prefect.resource.id": f"prefect.rel.{tag}", "prefect.resource.role": "flow"}
            ],
            "payload": {"text": "é \\ \" '", "deep": {"list": [1, 2.5, None, True]}},
            "follows": follows,
        },
        {"id": first, "event": f"bulk.{tag}", "resource": {"headwater.resource.id": "other"}},
        *(
            {"event": f"bulk.{tag}", "resource": {"headwater.resource.id": f"bulk.{tag}.{i}"}}
            for i in range(1, 1000)
        ),
    ]
    assert api.post("/events", json=batch).status_code == 204
    assert api.post("/events", json=batch[:1]).status_code == 204  # a retry
    prefix = {"event": {"prefix": [f"headwater.bulk.{tag}", f"bulk.{tag}"]}}
    assert api.post("/events/count", json=prefix).json() == 1000
    found = api.post(
        "/events/filter", json={"filter": {"related": {"id": [f"headwater.rel.{tag}"]}}}
    )
    [stored] = found.json()["events"]
    assert stored["id"] == first and stored["follows"] == follows
    assert stored["event"] == f"headwater.bulk.{tag}"
    assert stored["resource"] == {"headwater.resource.id": f"bulk.{tag}.0", "n": "7"}
    assert stored["related"] == [
        {"headwater.resource.id": f"headwater.rel.{tag}", "headwater.resource.role": "flow"}
    ]
    assert stored["payload"] == batch[0]["payload"]
    occurred = dt.datetime.fromisoformat(stored["occurred"]).timestamp()
    assert abs(occurred - occurred_at) < 1e-6


def test_text_the_database_cannot_hold_is_a_4xx_line(api: httpx.Client) -> None:
    """NUL or a lone surrogate in an event: stored (SQLite) or one 422 line
    (PostgreSQL), never a 500."""
    for text in ('"a\\u0000b"', '"a\\ud800b"'):
        body = (
            '[{"event": "bad.text", "resource": {"headwater.resource.id": "bad.text"},'
            f' "payload": {{"x": {text}}}}}]'
        )
        answer = api.post("/events", content=body.encode())
        assert answer.status_code in (204, 422), answer.text
        if answer.status_code == 422:
            assert "\n" not in answer.json()["detail"]
