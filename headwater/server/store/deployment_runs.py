"""Runs made from a deployment: its defaults plus the caller's parameters, checked
against the deployment's parameter schema when the run is created."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, select

from headwater.exceptions import ParameterValidationError
from headwater.schemas.records import FlowRunCreate
from headwater.server.db.tables import work_queues
from headwater.server.store.deployments import deployment_row
from headwater.server.store.flow_runs import create_flow_run
from headwater.states import Scheduled
from headwater.utilities.names import random_run_name

if TYPE_CHECKING:
    from headwater.schemas.deployments import DeploymentFlowRunCreate

UTC = dt.timezone.utc


def check_parameters(schema: dict[str, Any], parameters: dict[str, Any]) -> None:
    """``ParameterValidationError`` naming each parameter that does not fit ``schema``."""
    if not schema:
        return
    from headwater.utilities.jsonschema import validate

    try:
        errors = validate(parameters, schema)
    except Exception:  # a schema this validator cannot read: the flow checks at run time
        return
    if not errors:
        return
    parts = []
    for path, message in errors[:5]:
        if path:
            name = str(path[0]) + "".join(f"[{p!r}]" for p in path[1:])
            parts.append(
                f"parameter {name!r} {message}"
                if message == "is required"
                else f"parameter {name!r}: {message}"
            )
        else:
            parts.append(f"parameters: {message}")
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    raise ParameterValidationError(
        "; ".join(parts) + more,
        [{"loc": ["body", "parameters", *path], "msg": message} for path, message in errors],
    )


def run_record(
    row: Any,
    *,
    parameters: dict[str, Any],
    name: str | None = None,
    tags: list[str] | None = None,
    idempotency_key: str | None = None,
    when: float | None = None,
    schedule_id: UUID | None = None,
    auto_scheduled: bool = False,
    work_queue_id: UUID | None = None,
    parent_flow_run_id: UUID | None = None,
) -> FlowRunCreate:
    """A flow-run record for deployment ``row`` (see ``deployment_row``)."""
    record: FlowRunCreate = {
        "flow_name": row.flow_name,
        "name": name or random_run_name(),
        "flow_version": row.version,
        "parameters": parameters,
        "tags": sorted({*(row.tags or []), *(tags or [])}),
        "idempotency_key": idempotency_key,
        "empirical_policy": dict(row.empirical_policy or {}),
        "entrypoint": row.entrypoint,
        "expected_start_time": when,
        "deployment_id": row.id,
        "work_pool_id": row.work_pool_id,
        "work_queue_id": work_queue_id or row.work_queue_id,
        "schedule_id": schedule_id,
        "auto_scheduled": auto_scheduled,
        "parent_flow_run_id": parent_flow_run_id,
    }
    return record


def create_deployment_flow_run(
    conn: Connection, *, deployment_id: UUID, run: DeploymentFlowRunCreate
) -> dict[str, Any]:
    """Create (or, for a repeated idempotency key, return) a Scheduled run of the
    deployment, due at ``run.scheduled_time`` (default now)."""
    row = deployment_row(conn, deployment_id=deployment_id)
    parameters = {**(row.parameters or {}), **run.parameters}
    check_parameters(row.parameter_schema or {}, parameters)
    queue_id = None
    if run.work_queue_name:
        if row.work_pool_id is None:
            from headwater.exceptions import InvalidOptionError

            raise InvalidOptionError(
                f"deployment {row.flow_name}/{row.name} is served (no work pool): "
                "it has no work queues"
            )
        queue_id = conn.execute(
            select(work_queues.c.id).where(
                work_queues.c.work_pool_id == row.work_pool_id,
                work_queues.c.name == run.work_queue_name,
            )
        ).scalar()
        if queue_id is None:
            from headwater.exceptions import WorkPoolNotFound

            raise WorkPoolNotFound(
                f"work queue {run.work_queue_name!r} not found in the deployment's pool"
            )
    when = run.scheduled_time.timestamp() if run.scheduled_time else time.time()
    record = run_record(
        row,
        parameters=parameters,
        name=run.name,
        tags=list(run.tags),
        idempotency_key=run.idempotency_key,
        when=when,
        work_queue_id=queue_id,
        parent_flow_run_id=run.parent_flow_run_id,
    )
    return create_flow_run(
        conn, flow_run=record, state=Scheduled(dt.datetime.fromtimestamp(when, UTC))
    )
