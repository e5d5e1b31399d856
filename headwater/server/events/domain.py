"""The events state changes emit (Prefect 3's names and labels, ``headwater.`` prefix).

A flow run entering a state emits ``headwater.flow-run.<State name>`` about resource
``headwater.flow-run.<id>``, related to its flow, deployment, work queue, work pool
and tags; a task run entering Running or a final state emits
``headwater.task-run.<State name>`` related to its flow run.  Deployments, work pools
and queues emit ``created``, ``updated``, ``paused``, ``resumed`` and ``deleted``; a
worker seen for the first time (or again after going offline) ``headwater.worker.online``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from headwater.schemas.records import TaskRunRecord
from headwater.states import State
from headwater.utilities.ids import new_id

ID = "headwater.resource.id"
ROLE = "headwater.resource.role"
NAME = "headwater.resource.name"

#: Task-run states that emit an event (Pending and Scheduled would double the writes),
#: each with a code mixed into the event's id.
TASK_RUN_EVENT_TYPES = {"RUNNING": 1, "COMPLETED": 2, "FAILED": 3, "CRASHED": 4, "CANCELLED": 5}
_MASK = (1 << 128) - 1


def _related(
    *,
    flow: tuple[UUID, str | None] | None = None,
    deployment_id: UUID | None = None,
    work_queue_id: UUID | None = None,
    work_pool_id: UUID | None = None,
    tags: Iterable[str] = (),
) -> list[dict[str, str]]:
    related: list[dict[str, str]] = []
    if flow is not None:
        item = {ID: f"headwater.flow.{flow[0]}", ROLE: "flow"}
        if flow[1]:
            item[NAME] = flow[1]
        related.append(item)
    if deployment_id is not None:
        related.append({ID: f"headwater.deployment.{deployment_id}", ROLE: "deployment"})
    if work_queue_id is not None:
        related.append({ID: f"headwater.work-queue.{work_queue_id}", ROLE: "work-queue"})
    if work_pool_id is not None:
        related.append({ID: f"headwater.work-pool.{work_pool_id}", ROLE: "work-pool"})
    related.extend({ID: f"headwater.tag.{tag}", ROLE: "tag"} for tag in tags)
    return related


def _state_labels(state_type: str, state_name: str, message: str | None) -> dict[str, str]:
    labels = {"headwater.state-type": state_type, "headwater.state-name": state_name}
    if message:
        labels["headwater.state-message"] = message[:1000]
    return labels


def flow_run_state(
    run: Mapping[str, Any], flow_name: str | None, initial: State | None, state: State
) -> dict[str, Any]:
    """The event of a flow run (a row's values) entering ``state``."""
    resource = {
        ID: f"headwater.flow-run.{run['id']}",
        NAME: run["name"],
        **_state_labels(state.type.value, state.name, state.message),
    }
    payload: dict[str, Any] = {
        "intended": {
            "from": initial.type.value if initial is not None else None,
            "to": state.type.value,
        },
        "initial_state": (
            {"type": initial.type.value, "name": initial.name} if initial is not None else None
        ),
        "validated_state": {"type": state.type.value, "name": state.name},
    }
    return {
        "id": new_id(),
        "occurred": state.timestamp.timestamp(),
        "event": f"headwater.flow-run.{state.name}",
        "resource": resource,
        "related": _related(
            flow=(run["flow_id"], flow_name),
            deployment_id=run.get("deployment_id"),
            work_queue_id=run.get("work_queue_id"),
            work_pool_id=run.get("work_pool_id"),
            tags=run.get("tags") or (),
        ),
        "payload": payload,
        "follows": None,
    }


def task_run_states(records: Sequence[TaskRunRecord]) -> list[dict[str, Any]]:
    """Events of the task runs in a batch that are Running or final.  The id follows
    from the run and its state (cheaply: the run's id mixed with the state's time and
    type), so a batch written twice stores each event once."""
    out = []
    for r in records:
        state_type = r.state_type
        code = TASK_RUN_EVENT_TYPES.get(state_type)
        if code is None:
            continue
        mix = (int(r.state_timestamp * 1_000_000) << 4 | code) & _MASK
        related = (
            [{ID: f"headwater.flow-run.{r.flow_run_id}", ROLE: "flow-run"}] if r.flow_run_id else []
        )
        if r.tags:
            related.extend({ID: f"headwater.tag.{tag}", ROLE: "tag"} for tag in r.tags)
        out.append(
            {
                "id": UUID(int=r.id.int ^ mix),
                "occurred": r.state_timestamp,
                "event": f"headwater.task-run.{r.state_name}",
                "resource": {
                    ID: f"headwater.task-run.{r.id}",
                    NAME: r.name,
                    **_state_labels(state_type, r.state_name, r.state_message),
                },
                "related": related,
                "payload": {"validated_state": {"type": state_type, "name": r.state_name}},
                "follows": None,
            }
        )
    return out


def object_event(
    kind: str,
    what: str,
    object_id: UUID,
    name: str,
    *,
    related: list[dict[str, str]] | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``headwater.<kind>.<what>`` about ``headwater.<kind>.<id>`` (a deployment,
    work-pool, work-queue or worker)."""
    return {
        "id": new_id(),
        "occurred": time.time(),
        "event": f"headwater.{kind}.{what}",
        "resource": {ID: f"headwater.{kind}.{object_id}", NAME: name},
        "related": related or [],
        "payload": payload or {},
        "follows": None,
    }


def pause_change(changes: Mapping[str, Any]) -> str | None:
    """``paused``/``resumed`` when an update changes ``paused``, else None."""
    if "paused" not in changes:
        return None
    return "paused" if changes["paused"] else "resumed"
