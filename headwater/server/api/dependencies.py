"""Dependencies shared by the routers: read as types, e.g. ``db: DatabaseDep``.

Routes own their transaction (``with db.begin_write() as conn:``) so it is committed
before the answer is sent, and a failed commit is the request's error.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from headwater.server.db.database import Database


async def get_db(request: Request) -> Database:
    """The store this server was created with (``create_app``).  ``async`` so FastAPI
    calls it on the event loop instead of a worker thread (a sync dependency costs a
    thread hop per request)."""
    db: Database = request.app.state.db
    return db


DatabaseDep = Annotated[Database, Depends(get_db)]
