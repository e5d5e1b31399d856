"""Doing a recorded action (a row of ``automation_actions``).

Each action reads what it needs from the firing's ``context`` (the triggering event,
the automation) and acts through the store, in its own write transaction, or sends
through a block (``delivery``).  An action that cannot succeed raises ``ActionError``
(retried with backoff, then ``failed``); the idempotency key of an action is its row
id, sent with notifications and webhook calls so a receiver can drop a repeat.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import select

from headwater.schemas.automations import Action
from headwater.server.automations import delivery
from headwater.server.automations.templates import render, render_value
from headwater.server.db.database import Database
from headwater.server.db.tables import flows, work_pools, work_queues

_ACTION: TypeAdapter[Any] = TypeAdapter(Action)
ID = "headwater.resource.id"
ROLE = "headwater.resource.role"


class ActionError(Exception):
    pass


class ActionRefused(ActionError):
    """The action can never succeed as asked (not worth retrying)."""


def _ids_of(kind: str, event: dict[str, Any] | None) -> list[UUID]:
    """Ids of ``headwater.<kind>.<id>`` resources in the event (resource first)."""
    if not event:
        return []
    prefix = f"headwater.{kind}."
    found = []
    for labels in [event.get("resource") or {}, *(event.get("related") or [])]:
        rid = labels.get(ID, "")
        if rid.startswith(prefix):
            try:
                found.append(UUID(rid[len(prefix) :]))
            except ValueError:
                continue
    return found


def _target(action: Any, field: str, kind: str, context: dict[str, Any]) -> UUID:
    if getattr(action, "source", "selected") == "selected":
        value = getattr(action, field)
        if value is None:
            raise ActionRefused(f"{action.type} needs {field} (or source='inferred')")
        return UUID(str(value))
    found = _ids_of(kind, context.get("event"))
    if not found:
        raise ActionRefused(f"{action.type}: the triggering event is about no {kind}")
    return found[0]


def _flow_run(kind: str, context: dict[str, Any]) -> UUID:
    found = _ids_of("flow-run", context.get("event"))
    if not found:
        raise ActionRefused(f"{kind}: the triggering event is about no flow run")
    return found[0]


def template_context(db: Database, context: dict[str, Any]) -> dict[str, Any]:
    """What templates see: ``event``, ``automation``, ``firing`` and, when the event is
    about one, ``flow_run``, ``flow`` and ``deployment`` (plain dicts)."""
    event = dict(context.get("event") or {})
    if event:
        event.setdefault("resource_id", (event.get("resource") or {}).get(ID))
    out: dict[str, Any] = {
        "event": event,
        "automation": context.get("automation") or {},
        "firing": context.get("firing") or {},
        "flow_run": None,
        "flow": None,
        "deployment": None,
    }
    runs = _ids_of("flow-run", event)
    deployment_ids = _ids_of("deployment", event)
    with db.begin_read() as conn:
        if runs:
            from headwater.server.store.flow_runs import read_flow_run

            try:
                run = read_flow_run(conn, flow_run_id=runs[0])
            except Exception:
                run = None
            if run is not None:
                out["flow_run"] = run.model_dump(mode="json")
                out["flow_run"]["state_name"] = run.state.name if run.state else None
                name = conn.execute(select(flows.c.name).where(flows.c.id == run.flow_id)).scalar()
                out["flow"] = {"id": str(run.flow_id), "name": name}
                if run.deployment_id and not deployment_ids:
                    deployment_ids = [run.deployment_id]
        if deployment_ids:
            from headwater.server.store.deployments import read_deployment

            try:
                out["deployment"] = read_deployment(
                    conn, deployment_id=deployment_ids[0]
                ).model_dump(mode="json")
            except Exception:
                out["deployment"] = None
    return out


def run_action(db: Database, row: dict[str, Any]) -> None:
    """Do one recorded action; ``ActionError`` (or any exception) when it failed."""
    action = _ACTION.validate_python(row["action"])
    context = row["context"] or {}
    key = str(row["id"])
    kind = action.type
    if kind == "do-nothing":
        return
    if kind in ("send-notification", "call-webhook"):
        _send(db, action, context, key)
        return
    if kind == "run-deployment":
        _run_deployment(db, action, context, key)
        return
    with db.begin_write() as conn:
        if kind in ("pause-deployment", "resume-deployment"):
            from headwater.schemas.deployments import DeploymentUpdate
            from headwater.server.store.deployments import update_deployment

            deployment_id = _target(action, "deployment_id", "deployment", context)
            update_deployment(
                conn,
                deployment_id=deployment_id,
                changes=DeploymentUpdate(paused=kind == "pause-deployment"),
            )
        elif kind == "cancel-flow-run":
            from headwater.server.store.run_control import cancel_flow_run

            cancel_flow_run(
                conn, flow_run_id=_flow_run(kind, context), message="cancelled by an automation"
            )
        elif kind == "suspend-flow-run":
            _suspend(conn, _target(action, "flow_run_id", "flow-run", context), action, key)
        elif kind == "change-flow-run-state":
            from headwater.server.store.flow_runs import set_flow_run_state
            from headwater.states import State

            state: State[Any] = State(type=action.state, name=action.name, message=action.message)
            set_flow_run_state(conn, flow_run_id=_flow_run(kind, context), state=state, force=True)
        elif kind in ("pause-work-pool", "resume-work-pool"):
            from headwater.schemas.work_pools import WorkPoolUpdate
            from headwater.server.store.work_pools import update_work_pool

            pool_id = _target(action, "work_pool_id", "work-pool", context)
            name = conn.execute(
                select(work_pools.c.name).where(work_pools.c.id == pool_id)
            ).scalar()
            if name is None:
                raise ActionError(f"{kind}: work pool {pool_id} not found")
            update_work_pool(
                conn, name=name, changes=WorkPoolUpdate(paused=kind == "pause-work-pool")
            )
        elif kind in ("pause-work-queue", "resume-work-queue"):
            from headwater.schemas.work_pools import WorkQueueUpdate
            from headwater.server.store.work_pools import update_work_queue

            queue_id = _target(action, "work_queue_id", "work-queue", context)
            found = conn.execute(
                select(work_queues.c.name, work_pools.c.name)
                .join(work_pools, work_pools.c.id == work_queues.c.work_pool_id)
                .where(work_queues.c.id == queue_id)
            ).first()
            if found is None:
                raise ActionError(f"{kind}: work queue {queue_id} not found")
            update_work_queue(
                conn,
                pool_name=found[1],
                name=found[0],
                changes=WorkQueueUpdate(paused=kind == "pause-work-queue"),
            )
        elif kind in ("pause-automation", "resume-automation"):
            from headwater.server.store.automations import set_enabled

            if action.source == "inferred":
                automation_id = UUID(str((context.get("automation") or {})["id"]))
            elif action.automation_id is None:
                raise ActionError(f"{kind} needs automation_id (or source='inferred')")
            else:
                automation_id = action.automation_id
            set_enabled(conn, automation_id=automation_id, enabled=kind == "resume-automation")
        else:  # pragma: no cover - the schema lists every type
            raise ActionError(f"unknown action {kind}")


def _send(db: Database, action: Any, context: dict[str, Any], key: str) -> None:
    from headwater.server.store.blocks import read_block_document_by_id

    with db.begin_read() as conn:
        document = read_block_document_by_id(
            conn, block_document_id=action.block_document_id, include_secrets=True
        )
    values = template_context(db, context)
    if action.type == "send-notification":
        delivery.notify(document, render(action.subject, values), render(action.body, values), key)
        return
    text = render(action.payload, values) if action.payload else ""
    payload: Any
    try:
        payload = json.loads(text) if text.strip() else None
    except ValueError:
        payload = text
    delivery.call(document, payload, key)


def _run_deployment(db: Database, action: Any, context: dict[str, Any], key: str) -> None:
    from headwater.schemas.deployments import DeploymentFlowRunCreate
    from headwater.server.store.deployment_runs import create_deployment_flow_run

    deployment_id = _target(action, "deployment_id", "deployment", context)
    values = template_context(db, context)
    parameters = render_value(action.parameters or {}, values)
    run = DeploymentFlowRunCreate(
        parameters=parameters,
        idempotency_key=f"automation:{key}",  # a retried action makes one run
        tags=["automation"],
    )
    with db.begin_write() as conn:
        create_deployment_flow_run(conn, deployment_id=deployment_id, run=run)


def _suspend(conn: Any, flow_run_id: UUID, action: Any, key: str) -> None:
    """Suspended: no worker claims it until it is resumed (``headwater flow-run
    resume``), then one runs it again; a running run's process hears it at its
    heartbeat and stops (``launch.deployment_flows.Heartbeat``)."""
    from headwater.server.store.flow_runs import read_flow_run, set_flow_run_state
    from headwater.states import StateType, Suspended

    run = read_flow_run(conn, flow_run_id=flow_run_id)
    current = run.state.type if run.state else None
    if current is StateType.CANCELLING:
        raise ActionRefused(f"suspend-flow-run: flow run {flow_run_id} is being cancelled")
    if run.deployment_id is None:
        raise ActionRefused(
            f"suspend-flow-run: flow run {flow_run_id} has no deployment: no worker could "
            "run it again once resumed"
        )
    if run.state is not None and run.state.is_final():
        return  # finished: nothing to suspend
    state = Suspended(
        timeout_seconds=action.timeout_seconds,
        message="suspended by an automation",
        pause_key=f"automation-{key}",
    )
    set_flow_run_state(conn, flow_run_id=flow_run_id, state=state, force=True)
