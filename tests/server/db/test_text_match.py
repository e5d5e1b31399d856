"""``%``, ``_`` and the escape character in a search mean themselves, in every store
filter that searches text (names of flows, flow runs, task runs, deployments; logs)."""

from __future__ import annotations

import time
from typing import Any

from headwater.schemas.deployments import DeploymentFilter
from headwater.schemas.filters import FlowRunFilter, LogFilter, TaskRunFilter
from headwater.schemas.records import TaskRunRecord
from headwater.server.db.database import get_database
from headwater.server.db.text_match import escape_like
from headwater.server.store import (
    deployments,
    flow_runs,
    flow_stats,
    flows,
    logs,
    run_views,
    task_runs,
)
from headwater.states import Running
from headwater.utilities.ids import new_id
from tests.deployment_helpers import apply

#: Each name would also match the searches for the others if wildcards leaked.
NAMES = ["load_csv", "loadxcsv", "100%-done", "1000-done", "a!b", "a!!b"]
SEARCHES = {"load_csv": "d_c", "100%-done": "0%-", "a!b": "a!b"}


def _task_record(flow_run_id: Any, name: str) -> TaskRunRecord:
    now = time.time()
    return TaskRunRecord.from_dict(
        {
            "id": new_id(),
            "flow_run_id": flow_run_id,
            "task_key": "k",
            "dynamic_key": name,
            "name": name,
            "state_type": "COMPLETED",
            "state_name": "Completed",
            "state_message": None,
            "state_timestamp": now,
            "transitions": [],
            "tags": [],
            "inputs": {},
            "run_count": 1,
            "flow_run_attempt": 1,
            "cache_key": None,
            "result": None,
            "start_time": now,
            "end_time": now,
            "created": now,
            "updated": now,
        }
    )


def test_escape_like() -> None:
    assert escape_like("a%b_c!d") == "a!%b!_c!!d"


def test_wildcards_in_searches_match_only_themselves(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        run_ids = [
            flow_runs.create_flow_run(
                conn, flow_run={"flow_name": name, "name": name}, state=Running()
            )["id"]
            for name in NAMES
        ]
        task_runs.upsert_task_runs(conn, records=[_task_record(run_ids[0], name) for name in NAMES])
        logs.create_logs(
            conn,
            records=[
                {
                    "id": new_id(),
                    "flow_run_id": run_ids[0],
                    "task_run_id": None,
                    "name": "n",
                    "level": 20,
                    "message": f"line {name}",
                    "timestamp": time.time() + i,
                }
                for i, name in enumerate(NAMES)
            ],
        )
    for name in NAMES:
        apply(db, name=name, flow="like-test-flow")

    for wanted, search in [*SEARCHES.items(), *((n, n) for n in SEARCHES)]:
        with db.begin_read() as conn:
            found = {
                "flows": [f.name for f in flows.read_flows(conn, name_like=search)],
                "flow summaries": [
                    f["name"] for f in flow_stats.read_flow_summaries(conn, name_like=search)
                ],
                "flow runs": [
                    r.name
                    for r in flow_runs.read_flow_runs(
                        conn, flow_run_filter=FlowRunFilter(name_like=search)
                    )
                ],
                "task runs": [
                    t.name
                    for t in task_runs.read_task_runs(
                        conn,
                        task_run_filter=TaskRunFilter(flow_run_ids=[run_ids[0]], name_like=search),
                    )
                ],
                "deployments": [
                    d.name
                    for d in deployments.read_deployments(
                        conn, deployment_filter=DeploymentFilter(name_like=search)
                    )
                ],
                "logs": [
                    log.message.removeprefix("line ")
                    for log in logs.read_logs(
                        conn, log_filter=LogFilter(flow_run_id=run_ids[0], text=search)
                    )
                ],
                "log tail": [
                    line["message"].removeprefix("line ")
                    for line in run_views.read_log_tail(conn, flow_run_id=run_ids[0], text=search)
                ],
            }
            tail_count = run_views.count_logs(conn, flow_run_id=run_ids[0], text=search)
        assert found == {where: [wanted] for where in found}, search
        assert tail_count == 1
