"""``/api/cache_locks``: one process computes a cache key at a time (see
``headwater.results.locks``), used when results are not on a shared local disk."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response
from headwater.server.store import cache_locks

router = APIRouter(prefix="/cache_locks", tags=["Results"])


class LockRequest(Schema):
    key: str = Field(min_length=1, max_length=600)
    holder: str = Field(min_length=1, max_length=100)
    ttl_seconds: float = Field(default=60.0, gt=0, le=86_400)


@router.post("/acquire", response_model=dict[str, bool], summary="Take a cache-key lock")
def acquire(body: LockRequest, db: DatabaseDep) -> Response:
    """``acquired`` is false while another holder has the key (and it has not expired)."""
    with db.begin_write() as conn:
        acquired = cache_locks.acquire_cache_lock(
            conn, key=body.key, holder=body.holder, ttl_seconds=body.ttl_seconds
        )
    return json_response({"acquired": acquired})


class HolderRequest(Schema):
    key: str = Field(min_length=1, max_length=600)


@router.post("/holder", response_model=dict[str, str | None], summary="Who holds a lock")
def holder(body: HolderRequest, db: DatabaseDep) -> Response:
    """``holder`` is null when nobody holds the key (or its lease expired)."""
    with db.begin_read() as conn:
        current = cache_locks.cache_lock_holder(conn, key=body.key)
    return json_response({"holder": current})


@router.post("/release", response_model=dict[str, bool], summary="Release a cache-key lock")
def release(body: LockRequest, db: DatabaseDep) -> Response:
    with db.begin_write() as conn:
        released = cache_locks.release_cache_lock(conn, key=body.key, holder=body.holder)
    return json_response({"released": released})
