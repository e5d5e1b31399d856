"""``/api/leases``: holders renew what they hold, and give it back (see
``server/store/leases.py``)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from headwater.schemas.base import Schema
from headwater.server.api.dependencies import DatabaseDep
from headwater.server.api.responses import json_response
from headwater.server.store import leases

router = APIRouter(prefix="/leases", tags=["Leases"])


class RenewRequest(Schema):
    lease_ids: list[UUID] = Field(max_length=10_000)


class RenewResult(Schema):
    renewed: list[UUID] = Field(
        description="The leases still held, now until their duration from now; a lease "
        "missing here had expired (what it held may be someone else's now)."
    )


@router.post("/renew", response_model=RenewResult, summary="Renew held leases")
def renew(body: RenewRequest, db: DatabaseDep) -> Response:
    renewed = db.write_retrying(lambda conn: leases.renew(conn, lease_ids=body.lease_ids))
    return json_response({"renewed": [str(lease_id) for lease_id in renewed]})


@router.post(
    "/{lease_id}/release", response_model=dict[str, bool], summary="Give back what a lease holds"
)
def release(lease_id: UUID, db: DatabaseDep) -> Response:
    """``released`` is false when the lease held nothing (released or expired already)."""
    released = db.write_retrying(lambda conn: leases.release(conn, lease_id=lease_id))
    return json_response({"released": released})
