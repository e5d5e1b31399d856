"""Events and automations: ingest rate, and the latency from an event to its action.

    python benchmarks/events.py [--events 20000] [--pings 40] [--postgres URL]

Prints one JSON object; every figure has a baseline measured in the same run:

- ``ingest_events_per_s``: events stored through ``client.write_batch`` (the batching
  writer's path, which ``emit_event`` takes) in batches of 1,000 on the embedded
  SQLite store, vs ``ingest_logs_per_s``, the same number of log lines through
  ``client.create_logs``.  With
  ``--postgres`` (or HEADWATER_TEST_DATABASE_URL) the same through a server on it.
- ``action_latency_p50_ms`` / ``_p99_ms``: from posting an event to a server until a
  webhook action it triggers (an automation with ``CallWebhook``) reaches a local
  HTTP receiver, vs ``http_roundtrip_p50_ms``, one plain POST to that receiver.
- ``proactive_late_ms``: how long after its deadline a Proactive trigger's action
  arrives (median of a few windows), with no other event arriving.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import Server, free_port


class Receiver:
    """A local HTTP endpoint noting when each request arrived (by its path)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.cond:
                    key = json.loads(body).get("key", "") if body else self.path
                    receiver.arrived[key] = time.perf_counter()
                    receiver.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, key: str, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while key not in self.arrived:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"no request {key!r} within {timeout} s")
                self.cond.wait(left)
            return self.arrived[key]


def _record(name: str, rid: str) -> dict[str, Any]:
    from headwater.core.events import Event

    return Event(event=name, resource={"headwater.resource.id": rid}).to_record()


def ingest(client: Any, n: int) -> dict[str, float]:
    from headwater.utilities.ids import new_id

    batches = [
        [_record("bench.ingest", f"bench.{i}") for i in range(j, j + 1000)]
        for j in range(0, n, 1000)
    ]
    started = time.perf_counter()
    for batch in batches:  # the batching writer's path (what emit_event uses)
        client.write_batch([], [], events=batch)
    events_s = time.perf_counter() - started
    logs = [
        [
            {
                "id": new_id(),
                "flow_run_id": None,
                "task_run_id": None,
                "name": "bench",
                "level": 20,
                "message": f"line {i}",
                "timestamp": time.time(),
            }
            for i in range(j, j + 1000)
        ]
        for j in range(0, n, 1000)
    ]
    started = time.perf_counter()
    for batch in logs:
        client.create_logs(batch)
    logs_s = time.perf_counter() - started
    return {"events_per_s": n / events_s, "logs_per_s": n / logs_s}


def _server(home: Path, database_url: str | None = None) -> tuple[Server, str]:
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env["HEADWATER_HOME"] = str(home)
    if database_url:
        env["HEADWATER_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)]
    api = f"http://127.0.0.1:{port}/api"
    return Server(command, env, f"{api}/health", home / "server.log"), api


def latency(api: str, receiver: Receiver, pings: int) -> dict[str, float]:
    import httpx

    from headwater.automations import Automation, CallWebhook, EventTrigger
    from headwater.blocks.notifications import Webhook
    from headwater.client.http import HttpClient

    os.environ["HEADWATER_API_URL"] = api
    block_id = Webhook(url=f"{receiver.url}/action").save("bench-hook", overwrite=True)
    Automation(
        name="bench-latency",
        trigger=EventTrigger(expect={"bench.ping"}),
        actions=[
            CallWebhook(block_document_id=block_id, payload='{"key": "{{ event.resource_id }}"}')
        ],
    ).create()
    Automation(
        name="bench-proactive",
        trigger=EventTrigger(
            posture="Proactive",
            after={"bench.window"},
            expect={"bench.never"},
            for_each={"headwater.resource.id"},
            within=1.0,
        ),
        actions=[
            CallWebhook(block_document_id=block_id, payload='{"key": "{{ event.resource_id }}"}')
        ],
    ).create()
    time.sleep(2.0)  # the server reloads its automations
    samples = []
    with HttpClient(api) as client, httpx.Client() as http:
        round_trips = []
        for i in range(pings):
            started = time.perf_counter()
            http.post(f"{receiver.url}/plain", json={"key": f"plain-{i}"})
            round_trips.append(time.perf_counter() - started)
        for i in range(pings + 3):
            key = f"ping.{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            client.emit_events([_record("bench.ping", key)])
            arrived = receiver.wait(key)
            if i >= 3:  # the first few warm the server's paths up
                samples.append(arrived - started)
        late = []
        for _ in range(3):
            key = f"window.{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            client.emit_events([_record("bench.window", key)])
            late.append(receiver.wait(key) - started - 1.0)
    samples.sort()
    return {
        "action_latency_p50_ms": 1000 * statistics.median(samples),
        "action_latency_p99_ms": 1000 * samples[min(len(samples) - 1, int(0.99 * len(samples)))],
        "http_roundtrip_p50_ms": 1000 * statistics.median(round_trips),
        "proactive_late_ms": 1000 * statistics.median(late),
    }


def _own_schema(url: str) -> tuple[str, Any]:
    """A schema of this run's own in the PostgreSQL database (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    schema = f"bench_events_{os.getpid()}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--pings", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("HEADWATER_TEST_DATABASE_URL"))
    args = parser.parse_args()
    result: dict[str, Any] = {"events": args.events, "pings": args.pings}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["HEADWATER_HOME"] = str(home)
        from headwater.client.local import LocalClient

        with LocalClient(f"sqlite:///{home / 'embedded.db'}") as client:
            embedded = ingest(client, args.events)
        result["ingest_events_per_s"] = embedded["events_per_s"]
        result["ingest_logs_per_s"] = embedded["logs_per_s"]
        result["ingest_vs_logs"] = embedded["events_per_s"] / embedded["logs_per_s"]
        receiver = Receiver()
        server, api = _server(home / "server")
        server.start()
        try:
            result.update(latency(api, receiver, args.pings))
            result["latency_vs_roundtrip"] = (
                result["action_latency_p50_ms"] / result["http_roundtrip_p50_ms"]
            )
        finally:
            server.stop()
        if args.postgres:
            url, drop = _own_schema(args.postgres)
            pg, pg_api = _server(home / "pg", url)
            pg.start()
            try:
                from headwater.client.http import HttpClient

                with HttpClient(pg_api) as client:
                    through = ingest(client, args.events)
                result["server_pg_events_per_s"] = through["events_per_s"]
                result["server_pg_logs_per_s"] = through["logs_per_s"]
            finally:
                pg.stop()
                drop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
