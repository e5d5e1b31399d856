"""Saved filters: named query strings of a UI list, unique by (page, name)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Connection, delete, insert, select

from headwater.exceptions import ObjectAlreadyExists
from headwater.server.db.tables import saved_filters
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.saved_filters import SavedFilterCreate, SavedFilterRead

#: At most this many saved filters per page (a list of links, not a store of data).
MAX_PER_PAGE = 100


def create_saved_filter(conn: Connection, *, saved: SavedFilterCreate) -> SavedFilterRead:
    from headwater.exceptions import UserInputError

    c = saved_filters.c
    taken = conn.execute(select(c.id).where(c.page == saved.page, c.name == saved.name)).first()
    if taken is not None:
        raise ObjectAlreadyExists(f"a saved filter named {saved.name!r} exists already")
    count = len(conn.execute(select(c.id).where(c.page == saved.page)).all())
    if count >= MAX_PER_PAGE:
        raise UserInputError(f"at most {MAX_PER_PAGE} saved filters per list: delete one first")
    filter_id = new_id()
    conn.execute(
        insert(saved_filters).values(
            id=filter_id,
            page=saved.page,
            name=saved.name,
            query=saved.query.lstrip("?"),
            created=time.time(),
        )
    )
    found = read_saved_filter(conn, filter_id=filter_id)
    assert found is not None
    return found


def read_saved_filter(conn: Connection, *, filter_id: UUID) -> SavedFilterRead | None:
    from headwater.schemas.saved_filters import SavedFilterRead

    row = conn.execute(select(saved_filters).where(saved_filters.c.id == filter_id)).first()
    return SavedFilterRead.model_validate(dict(row._mapping)) if row else None


def read_saved_filters(conn: Connection, *, page: str | None = None) -> list[SavedFilterRead]:
    """A page's saved filters (every page's without ``page``), by name."""
    from headwater.schemas.saved_filters import SavedFilterRead

    query = select(saved_filters)
    if page is not None:
        query = query.where(saved_filters.c.page == page)
    rows = conn.execute(query.order_by(saved_filters.c.page, saved_filters.c.name))
    return [SavedFilterRead.model_validate(dict(row._mapping)) for row in rows]


def delete_saved_filter(conn: Connection, *, filter_id: UUID) -> bool:
    """Delete a saved filter; False when there was none with that id."""
    result = conn.execute(delete(saved_filters).where(saved_filters.c.id == filter_id))
    return bool(result.rowcount)
