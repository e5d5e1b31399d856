"""Variables: named JSON values, created once and changed only with ``overwrite``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from headwater.exceptions import ObjectAlreadyExists
from headwater.server.db.dialect import json_array_contains
from headwater.server.db.tables import variables
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.variables import VariableCreate, VariableRead


def set_variable(
    conn: Connection, *, variable: VariableCreate, overwrite: bool = False
) -> VariableRead:
    """Create a variable, or with ``overwrite`` change an existing one's value (and its
    tags, when given)."""
    query = select(variables).where(variables.c.name == variable.name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    existing = conn.execute(query).first()
    now = time.time()
    if existing is None:
        conn.execute(
            insert(variables).values(
                id=new_id(),
                name=variable.name,
                value=variable.value,
                tags=variable.tags or [],
                created=now,
                updated=now,
            )
        )
    elif not overwrite:
        raise ObjectAlreadyExists(
            f"variable {variable.name!r} already exists; "
            "pass overwrite=True (CLI: --overwrite) to change it"
        )
    else:
        changes: dict[str, Any] = {"value": variable.value, "updated": now}
        if variable.tags is not None:
            changes["tags"] = variable.tags
        conn.execute(update(variables).where(variables.c.id == existing.id).values(**changes))
    found = read_variable(conn, name=variable.name)
    assert found is not None
    return found


def read_variable(conn: Connection, *, name: str) -> VariableRead | None:
    from headwater.schemas.variables import VariableRead

    row = conn.execute(select(variables).where(variables.c.name == name)).first()
    return VariableRead.model_validate(dict(row._mapping)) if row else None


def read_variables(
    conn: Connection, *, tag: str | None = None, limit: int = 200, offset: int = 0
) -> list[VariableRead]:
    from headwater.schemas.variables import VariableRead

    query = select(variables)
    if tag is not None:
        query = query.where(json_array_contains(variables.c.tags, tag, conn.dialect.name))
    rows = conn.execute(query.order_by(variables.c.name).limit(limit).offset(offset))
    return [VariableRead.model_validate(dict(row._mapping)) for row in rows]


def delete_variable(conn: Connection, *, name: str) -> bool:
    """Delete a variable; False when there was none of that name."""
    return bool(conn.execute(delete(variables).where(variables.c.name == name)).rowcount)
