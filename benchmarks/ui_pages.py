"""Server time of the UI pages (dashboard, runs list and its views, variables, work
pools, a deployment with a schedule, the schedule preview, automations, notifications,
the event feed and a flow run's page with its events) with 100,000 flow runs,
1,000,000 task runs and 200,000 events in the store, on SQLite and on PostgreSQL.
Target: ≤ 300 ms per page.

    python benchmarks/ui_pages.py [--sqlite PATH] [--pg URL] [--runs 100000] [--repeats 15]

Each store is seeded by ``ui_seed.py`` (or reused when it already holds the runs).
The pages are requested in-process (``create_app`` + Starlette's TestClient; the
background services are off so they do not compete), and the server time of each
request is read from its ``Server-Timing: app;dur=`` header.  Reported per page:
median and p95 in ms.  Baselines measured in the same run: the same client's time
for ``/api/health`` and the database's time for ``SELECT count(*) FROM flow_runs``,
and each page's median as a ratio of the count.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_MS = 300.0


def _pages() -> dict[str, str]:
    """The pages timed; the deep page is reached by following 20 cursors."""
    pages = {
        "dashboard_1h": "/?window=1h",
        "dashboard_24h": "/?window=24h",
        "dashboard_7d": "/?window=7d",
        "runs_default": "/flow-runs",
        "runs_state_failed": "/flow-runs?state=FAILED",
        "runs_flow": "/flow-runs?flow=__FLOW__",
        "runs_deployment_7d": "/flow-runs?deployment=__DEP__&window=7d",
        "runs_tag_and_text": "/flow-runs?tag=prod&q=otter",
        "runs_sorted_by_name": "/flow-runs?sort=name",
        "runs_upcoming": "/flow-runs?view=upcoming",
        "runs_all": "/flow-runs?view=all",
        "runs_states_no_subflows": "/flow-runs?state=FAILED&state=CRASHED&subflows=hide",
        "variables": "/variables",
        "work_pools": "/work-pools",
        "deployment": "/deployments/__DEP__",
        "schedule_preview": "/schedule-preview?kind=cron&value=0+6+*+*+1-5&timezone=Europe/Paris",
        "automations": "/automations",
        "automation_new": "/automations/new",
        "notifications": "/notifications",
        "events_24h": "/events",
        "events_7d_prefix": "/events?range=7d&prefix=bench.job.3",
        "events_30d_resource": "/events?range=30d&resource=__EVENT_RUN__",
        "flow_run_with_events": "/flow-runs/__RUN__",
    }
    return pages


def _first_flow_and_deployment(db: Any) -> tuple[str, str]:
    from sqlalchemy import select

    from headwater.server.db.tables import deployments, flows

    with db.begin_read() as conn:
        flow = conn.execute(
            select(flows.c.name).where(flows.c.name.like("ui-bench-flow-%")).order_by(flows.c.name)
        ).scalar()
        dep = conn.execute(select(deployments.c.id).order_by(deployments.c.name)).scalar()
    return str(flow), str(dep)


def _seed_variables(db: Any, count: int = 300) -> None:
    """Variables for the Variables page (a few hundred, as an installation has)."""
    from headwater.schemas.variables import VariableCreate
    from headwater.server.store import variables

    with db.begin_write() as conn:
        if variables.read_variables(conn, limit=1):
            return
        for i in range(count):
            value = {"bucket": f"s3://data-{i}", "retries": i % 5, "tags": ["a", "b"]}
            variable = VariableCreate(name=f"bench-var-{i:04d}", value=value, tags=["bench"])
            variables.set_variable(conn, variable=variable)


def _seed_events(db: Any, count: int = 200_000) -> str:
    """Events over the last 7 days (a few names, about 2,000 resources, each related to
    a tag), a tenth of them about one of the seeded flow runs; that run's id."""
    import random

    from sqlalchemy import func, select

    from headwater.server.db.tables import events, flow_runs
    from headwater.server.store.events import record_events
    from headwater.utilities.ids import new_id

    with db.begin_read() as conn:
        run_id, created = conn.execute(
            select(flow_runs.c.id, flow_runs.c.created).order_by(flow_runs.c.created.desc())
        ).first()
        have = conn.execute(select(func.count()).select_from(events)).scalar_one()
    resource = f"headwater.flow-run.{run_id}"
    rng = random.Random(6)
    now = time.time()
    for start in range(have, count, 5000):
        batch = []
        for i in range(start, min(count, start + 5000)):
            about_run = i % 10 == 0
            batch.append(
                {
                    "id": new_id(),
                    "occurred": created + rng.random() * 30
                    if about_run
                    else now - rng.random() * 7 * 86400,
                    "event": f"bench.job.{i % 7}.{'done' if i % 3 else 'failed'}",
                    "resource": {"headwater.resource.id": f"bench.job.{i % 2000}"},
                    "related": [
                        {"headwater.resource.id": resource, "headwater.resource.role": "flow-run"}
                        if about_run
                        else {"headwater.resource.id": "headwater.tag.prod"}
                    ],
                    "payload": {"rows": i},
                }
            )
        with db.begin_write() as conn:
            record_events(conn, batch)
    return str(run_id)


def _seed_automations(db: Any, count: int = 50) -> None:
    """Automations (half of them notifications), as an installation has."""
    from headwater.schemas import notifications
    from headwater.schemas.automations import AutomationCore, CallWebhook, EventTrigger
    from headwater.server.store import automations
    from headwater.utilities.ids import new_id

    with db.begin_write() as conn:
        if automations.read_automations(conn, limit=1):
            return
        block = new_id()
        for i in range(count):
            made = (
                notifications.notification(
                    states=["Failed", "Crashed"],
                    tags=[f"team-{i}"],
                    block_document_id=block,
                    block_label="webhook/bench",
                )
                if i % 2
                else AutomationCore(
                    name=f"bench-automation-{i:03d}",
                    trigger=EventTrigger(
                        expect={f"bench.job.{i % 7}.failed"}, threshold=3, within=60
                    ),
                    actions=[CallWebhook(block_document_id=block, payload="{}")],
                )
            )
            automations.create_automation(conn, automation=made)


def _schedule_deployment(db: Any, deployment_id: str) -> None:
    """A cron schedule on the deployment page's deployment (its words, next times)."""
    from uuid import UUID

    from headwater.exceptions import ObjectAlreadyExists
    from headwater.schemas.deployments import ScheduleCreate
    from headwater.server.store import deployment_schedules

    schedule = ScheduleCreate(cron="0 6 * * 1-5", timezone="Europe/Paris", active=False)
    try:
        with db.begin_write() as conn:
            deployment_schedules.add_schedule(
                conn, deployment_id=UUID(deployment_id), schedule=schedule
            )
    except ObjectAlreadyExists:
        pass


def _server_ms(response: Any) -> float:
    header = response.headers.get("server-timing", "")
    if "dur=" not in header:
        raise RuntimeError(f"no Server-Timing on {response.url}")
    # A page that times itself sends its own entry before the middleware's: the first.
    return float(header.split(",")[0].split("dur=", 1)[1].split(";")[0])


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def _deep_cursor_url(client: Any, hops: int) -> tuple[str, int]:
    """The URL of the page ``hops`` pages deep (following each page's Next link)."""
    import re

    url = "/flow-runs?limit=200"
    for _ in range(hops):
        page = client.get(url).text
        found = re.search(r'href="(/flow-runs\?[^"]*cursor=[^"]+)"[^>]*rel="next"', page)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    return url, hops * 200


def _count_ms(db: Any, repeats: int) -> float:
    from sqlalchemy import text

    samples = []
    with db.begin_read() as conn:
        for _ in range(repeats):
            started = time.perf_counter()
            conn.execute(text("SELECT count(*) FROM flow_runs")).scalar()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(url: str, *, runs: int, repeats: int) -> dict[str, Any]:
    import ui_seed
    from starlette.testclient import TestClient

    from headwater.server.app import create_app

    db = ui_seed.ensure_store(url)
    seeded = ui_seed.seeded_runs(db)
    seed_info: dict[str, Any] = {"reused": True}
    if seeded < runs:
        seed_info = ui_seed.seed(db, runs=runs, tasks_per_run=10, batch=5000, seed_value=6)
    _seed_variables(db)
    event_run = _seed_events(db)
    _seed_automations(db)
    ui_seed.analyze(db)
    flow, dep = _first_flow_and_deployment(db)
    _schedule_deployment(db, dep)
    app = create_app(url)
    out: dict[str, Any] = {"store": db.dialect, "seed": seed_info, "pages": {}}
    with TestClient(app) as client:
        pages = _pages()
        deep_url, deep_rows = _deep_cursor_url(client, 50)
        pages["runs_deep_page"] = deep_url
        for name, path in pages.items():
            path = path.replace("__FLOW__", flow).replace("__DEP__", dep)
            path = path.replace("__RUN__", event_run)
            path = path.replace("__EVENT_RUN__", f"headwater.flow-run.{event_run}")
            response = client.get(path)  # warm-up (and check)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            samples = [_server_ms(client.get(path)) for _ in range(repeats)]
            out["pages"][name] = _summary(samples)
        out["deep_page_starts_after_row"] = deep_rows
        health = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.get("/api/health")
            health.append((time.perf_counter() - started) * 1000)
        out["baseline_api_health_client_ms"] = round(statistics.median(health), 2)
    count_ms = _count_ms(db, repeats)
    out["baseline_count_flow_runs_ms"] = round(count_ms, 2)
    worst = max(p["p95_ms"] for p in out["pages"].values())
    out["worst_p95_ms"] = worst
    out["ratio_to_count"] = {
        name: round(p["median_ms"] / count_ms, 1) if count_ms else None
        for name, p in out["pages"].items()
    }
    out["within_target"] = worst <= TARGET_MS
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="SQLite file to seed or reuse (default: a temp file)")
    parser.add_argument("--pg", help="PostgreSQL URL (use a schema of its own: see ui_seed.py)")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args()
    os.environ["HEADWATER_SERVICES_ENABLED"] = "false"
    os.environ.setdefault("HEADWATER_HOME", tempfile.mkdtemp(prefix="hw-ui-bench-"))
    warnings.simplefilter("ignore")  # TestClient's httpx deprecation notice
    sqlite_path = options.sqlite or str(Path(os.environ["HEADWATER_HOME"]) / "ui-bench.db")
    out: dict[str, Any] = {"runs": options.runs, "target_ms": TARGET_MS}
    out["sqlite"] = measure(f"sqlite:///{sqlite_path}", runs=options.runs, repeats=options.repeats)
    if options.pg:
        out["postgresql"] = measure(options.pg, runs=options.runs, repeats=options.repeats)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
