"""Helpers for deployment tests: deployments and pools applied straight to a store."""

from __future__ import annotations

import datetime as dt
from typing import Any

from headwater.schemas.deployments import DeploymentCreate, DeploymentFlowRunCreate
from headwater.schemas.work_pools import WorkPoolCreate
from headwater.server.db.database import Database
from headwater.server.store import deployment_runs, deployments, work_pools

UTC = dt.timezone.utc
SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer"}, "name": {"type": "string", "default": "x"}},
    "required": ["n"],
    "additionalProperties": False,
}


def body(name: str = "nightly", flow: str = "etl", **fields: Any) -> DeploymentCreate:
    data: dict[str, Any] = {
        "flow_name": flow,
        "name": name,
        "entrypoint": "flows.py:etl",
        "parameters": {"n": 1},
        "parameter_schema": SCHEMA,
    }
    data.update(fields)
    return DeploymentCreate.model_validate(data)


def apply(db: Database, **fields: Any) -> Any:
    with db.begin_write() as conn:
        return deployments.apply_deployment(conn, deployment=body(**fields))[0]


def make_pool(db: Database, name: str = "pool", **fields: Any) -> Any:
    with db.begin_write() as conn:
        return work_pools.create_work_pool(conn, pool=WorkPoolCreate(name=name, **fields))


def run_of(db: Database, deployment_id: Any, **fields: Any) -> dict[str, Any]:
    with db.begin_write() as conn:
        return deployment_runs.create_deployment_flow_run(
            conn, deployment_id=deployment_id, run=DeploymentFlowRunCreate(**fields)
        )


def ts(*args: int) -> float:
    return dt.datetime(*args, tzinfo=UTC).timestamp()
