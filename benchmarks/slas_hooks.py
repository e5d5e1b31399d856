"""SLAs and incoming webhooks on a real server: how late a breach acts, and what a hook
call costs.

    python benchmarks/slas_hooks.py [--runs 20] [--calls 200] [--postgres URL]

Prints one JSON object; each figure has a baseline measured in the same run:

- ``sla_action_late_p50_ms`` / ``_max_ms``: from a run's time-to-completion deadline
  (``duration`` 1 s after it was set Running) until the webhook action of an
  automation on ``headwater.sla.violation`` reaches a local receiver, vs
  ``proactive_action_late_p50_ms``, the same for an automation's Proactive trigger
  (the automations service's own timer) over the same 1 s.
- ``sla_event_late_p50_ms`` / ``_max_ms``: the violation event's ``occurred`` minus the
  deadline (the monitor's own lateness).
- ``hook_post_p50_ms``: one ``POST /api/hooks/{slug}`` (template rendered, event stored)
  vs ``events_post_p50_ms``, one ``POST /api/events`` of the same event.
- ``hook_action_p50_ms`` / ``_p99_ms``: from a hook call to the webhook action it
  triggers reaching the receiver, vs ``event_action_p50_ms`` from ``POST /api/events``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from events import Receiver, _own_schema, _record, _server

TEMPLATE = (
    '{"event": "bench.hook", "resource": {"headwater.resource.id": "{{ body.key }}"},'
    ' "payload": {"n": {{ body.n | tojson }}}}'
)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def measure(api: str, receiver: Receiver, runs: int, calls: int) -> dict[str, float]:
    import httpx

    from headwater.automations import Automation, CallWebhook, EventTrigger
    from headwater.blocks.notifications import Webhook
    from headwater.client.http import HttpClient
    from headwater.schemas.deployments import DeploymentCreate, DeploymentFlowRunCreate
    from headwater.schemas.events import EventFilter
    from headwater.schemas.webhooks import WebhookCreate
    from headwater.slas import TimeToCompletionSla
    from headwater.states import Running

    os.environ["HEADWATER_API_URL"] = api
    block_id = Webhook(url=f"{receiver.url}/action").save("bench-sla", overwrite=True)
    key_payload = '{"key": "{{ event.resource_id }}"}'
    sla_key = '{"key": "{{ flow_run.id }}"}'
    out: dict[str, float] = {}
    with HttpClient(api) as client, httpx.Client() as http:
        made = client.apply_deployment(
            DeploymentCreate(
                flow_name="bench-sla",
                name="d",
                entrypoint="flows.py:bench",
                sla=[TimeToCompletionSla(name="one-second", duration=1.0)],
            )
        )
        for name, trigger, payload in (
            ("sla", EventTrigger(expect={"prefect.sla.violation"}), sla_key),
            ("hooks", EventTrigger(expect={"bench.hook", "bench.ping"}), key_payload),
            (
                "proactive",
                EventTrigger(
                    posture="Proactive",
                    after={"bench.window"},
                    expect={"bench.never"},
                    for_each={"headwater.resource.id"},
                    within=1.0,
                ),
                key_payload,
            ),
        ):
            Automation(
                name=f"bench-{name}",
                trigger=trigger,
                actions=[CallWebhook(block_document_id=block_id, payload=payload)],
            ).create()
        time.sleep(2.0)
        # -- SLA breach vs Proactive trigger, each over 1 s ---------------------------
        sla_late, proactive_late, event_late = [], [], []
        for _ in range(runs):
            run = client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
            started = time.perf_counter()
            client.set_flow_run_state(run.id, Running())
            sla_late.append(receiver.wait(str(run.id)) - started - 1.0)
            key = f"window.{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            client.emit_events([_record("bench.window", key)])
            proactive_late.append(receiver.wait(key) - started - 1.0)
        flt = EventFilter.model_validate({"event": {"name": ["headwater.sla.violation"]}})
        for event in client.read_events(flt, limit=1000).events:
            run = client.read_flow_run(uuid.UUID(event["payload"]["flow_run_id"]))
            assert run.start_time is not None
            occurred = dt.datetime.fromisoformat(event["occurred"]).timestamp()
            event_late.append(occurred - run.start_time.timestamp() - 1.0)
        out["sla_action_late_p50_ms"] = 1000 * statistics.median(sla_late)
        out["sla_action_late_max_ms"] = 1000 * max(sla_late)
        out["proactive_action_late_p50_ms"] = 1000 * statistics.median(proactive_late)
        out["proactive_action_late_max_ms"] = 1000 * max(proactive_late)
        out["sla_event_late_p50_ms"] = 1000 * statistics.median(event_late)
        out["sla_event_late_max_ms"] = 1000 * max(event_late)
        out["sla_breaches"] = len(event_late)
        # -- hook calls vs POST /api/events ---------------------------------------------
        hook = client.create_webhook(WebhookCreate(name="bench-hook", template=TEMPLATE))
        url = f"{api}/hooks/{hook.slug}"
        hook_posts, event_posts, hook_actions, event_actions = [], [], [], []
        for i in range(calls):
            key = f"hook.{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            assert http.post(url, json={"key": key, "n": i}).status_code == 204
            hook_posts.append(time.perf_counter() - started)
            hook_actions.append(receiver.wait(key) - started)
            key = f"ping.{uuid.uuid4().hex[:8]}"
            body = _record("bench.ping", key)
            body = {**body, "id": str(body["id"]), "payload": {"n": i}}
            started = time.perf_counter()
            assert http.post(f"{api}/events", json=[body]).status_code == 204
            event_posts.append(time.perf_counter() - started)
            event_actions.append(receiver.wait(key) - started)
        warm = min(5, calls // 10)
        out["hook_post_p50_ms"] = _pct(hook_posts[warm:], 0.5)
        out["events_post_p50_ms"] = _pct(event_posts[warm:], 0.5)
        out["hook_vs_events_post"] = out["hook_post_p50_ms"] / out["events_post_p50_ms"]
        out["hook_action_p50_ms"] = _pct(hook_actions[warm:], 0.5)
        out["hook_action_p99_ms"] = _pct(hook_actions[warm:], 0.99)
        out["event_action_p50_ms"] = _pct(event_actions[warm:], 0.5)
        out["hook_vs_event_action"] = out["hook_action_p50_ms"] / out["event_action_p50_ms"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("HEADWATER_TEST_DATABASE_URL"))
    args = parser.parse_args()
    result: dict[str, Any] = {"runs": args.runs, "calls": args.calls}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["HEADWATER_HOME"] = str(home)
        stores: list[tuple[str, str | None, Any]] = [("sqlite", None, None)]
        if args.postgres:
            url, drop = _own_schema(args.postgres)
            stores.append(("postgresql", url, drop))
        for kind, url, drop in stores:
            receiver = Receiver()
            server, api = _server(home / kind, url)
            server.start()
            try:
                result[kind] = measure(api, receiver, args.runs, args.calls)
            finally:
                server.stop()
                if drop is not None:
                    drop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
