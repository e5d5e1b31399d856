"""Flow-run inputs and resuming a paused run: what a paused run waits for (the JSON
schema it stored under ``{key}-schema``), the answer it was sent
(``{key}-response``), and values runs send each other (``send_input``)."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, delete, select

from headwater.exceptions import (
    NotPausedError,
    ObjectAlreadyExists,
    ObjectNotFound,
    UserInputError,
)
from headwater.schemas.orchestration import OrchestrationResult
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import flow_run_inputs, flow_runs
from headwater.server.store.flow_runs import set_flow_run_state
from headwater.states import Running, Scheduled, StateDetails, StateType
from headwater.utilities.ids import new_id


def create_flow_run_input(
    conn: Connection, *, flow_run_id: UUID, key: str, value: Any, sender: str | None = None
) -> None:
    """Store ``value`` (JSON) under ``key`` for the run; a key is written once."""
    if conn.execute(select(flow_runs.c.id).where(flow_runs.c.id == flow_run_id)).first() is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    statement = insert_for(conn, flow_run_inputs).on_conflict_do_nothing(
        index_elements=["flow_run_id", "key"]
    )
    inserted = conn.execute(
        statement.values(
            id=new_id(),
            flow_run_id=flow_run_id,
            key=key,
            value=json.dumps(value),
            sender=sender,
            created=time.time(),
        ).returning(flow_run_inputs.c.id)  # rowcount is not reliable with ON CONFLICT
    ).first()
    if inserted is None:
        raise ObjectAlreadyExists(f"flow run {flow_run_id} already has an input {key!r}")


def read_flow_run_input(conn: Connection, *, flow_run_id: UUID, key: str) -> Any | None:
    """The value stored under ``key`` (None when there is none)."""
    row = conn.execute(
        select(flow_run_inputs.c.value).where(
            flow_run_inputs.c.flow_run_id == flow_run_id, flow_run_inputs.c.key == key
        )
    ).first()
    return json.loads(row.value) if row is not None else None


def read_flow_run_inputs(
    conn: Connection, *, flow_run_id: UUID, key_prefix: str, limit: int = 100
) -> list[tuple[str, Any]]:
    """``(key, value)`` of the run's inputs whose key starts with ``{key_prefix}-``, in
    key order (``send_input`` keys sort by when they were sent)."""
    escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        select(flow_run_inputs.c.key, flow_run_inputs.c.value)
        .where(
            flow_run_inputs.c.flow_run_id == flow_run_id,
            flow_run_inputs.c.key.like(f"{escaped}-%", escape="\\"),
        )
        .order_by(flow_run_inputs.c.key)
        .limit(limit)
    )
    return [(row.key, json.loads(row.value)) for row in rows]


def has_flow_run_input(conn: Connection, *, flow_run_id: UUID, key: str) -> bool:
    row = conn.execute(
        select(flow_run_inputs.c.id).where(
            flow_run_inputs.c.flow_run_id == flow_run_id, flow_run_inputs.c.key == key
        )
    ).first()
    return row is not None


def delete_flow_run_input(conn: Connection, *, flow_run_id: UUID, key: str) -> bool:
    result = conn.execute(
        delete(flow_run_inputs).where(
            flow_run_inputs.c.flow_run_id == flow_run_id, flow_run_inputs.c.key == key
        )
    )
    return bool(result.rowcount)


def pause_details(conn: Connection, *, flow_run_id: UUID) -> dict[str, Any]:
    """``{"state_type", "pause_key", "input": {"schema", "description"} | None}`` of a run."""
    row = conn.execute(
        select(flow_runs.c.state_type, flow_runs.c.state_name, flow_runs.c.state_details).where(
            flow_runs.c.id == flow_run_id
        )
    ).first()
    if row is None:
        raise ObjectNotFound(f"flow run {flow_run_id} not found")
    details = StateDetails.from_dict(row.state_details)
    key = details.pause_key
    wanted = None
    if row.state_type == StateType.PAUSED.value and key:
        wanted = read_flow_run_input(conn, flow_run_id=flow_run_id, key=f"{key}-schema")
    return {
        "state_type": row.state_type,
        "state_name": row.state_name,
        "pause_key": key,
        "input": wanted,
    }


def resume_flow_run(
    conn: Connection, *, flow_run_id: UUID, run_input: dict[str, Any] | None = None
) -> OrchestrationResult:
    """Resume a paused run (Running again; a Suspended one, whose process ended,
    Scheduled again so a worker runs it), first checking ``run_input`` against the
    schema the run waits for: a ``ParameterValidationError`` names each field that
    does not fit (the API's 422)."""
    paused = pause_details(conn, flow_run_id=flow_run_id)
    if paused["state_type"] != StateType.PAUSED.value:
        raise NotPausedError(f"flow run {flow_run_id} is not paused (it is {paused['state_type']})")
    wanted = paused["input"]
    if wanted is not None:
        if run_input is None:
            raise UserInputError(
                f"flow run {flow_run_id} waits for input: give run_input "
                "(CLI: --input JSON) matching its schema"
            )
        check_input(wanted.get("schema") or {}, run_input)
        create_flow_run_input(
            conn,
            flow_run_id=flow_run_id,
            key=f"{paused['pause_key']}-response",
            value=run_input,
            sender="resume",
        )
    elif run_input is not None:
        raise UserInputError(f"flow run {flow_run_id} does not wait for input")
    if paused["state_name"] == "Suspended":
        resumed = Scheduled(message="resumed from suspension")
        return set_flow_run_state(conn, flow_run_id=flow_run_id, state=resumed, force=True)
    return set_flow_run_state(conn, flow_run_id=flow_run_id, state=Running(), force=True)


def check_input(schema: dict[str, Any], value: dict[str, Any]) -> None:
    """``ParameterValidationError`` naming each field of ``value`` that does not fit."""
    from headwater.exceptions import ParameterValidationError
    from headwater.utilities.jsonschema import validate

    try:
        errors = validate(value, schema)
    except Exception:  # a schema this validator cannot read: the run validates it
        return
    if not errors:
        return
    parts = [
        f"field {'.'.join(str(p) for p in path)!r}: {message}" if path else message
        for path, message in errors[:5]
    ]
    raise ParameterValidationError(
        "bad input: " + "; ".join(parts),
        [{"loc": ["body", "run_input", *path], "msg": message} for path, message in errors],
    )
