"""``/api/health`` (no API key needed) and ``/api/version``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from headwater.server.api.dependencies import DatabaseDep

router = APIRouter(tags=["Server"])


@router.get(
    "/health",
    summary="Is the server up, and does its store take writes?",
    responses={
        503: {"description": "The store cannot be written (read-only, schema mismatch)"},
        507: {"description": "The store's disk is full"},
    },
)
def health(db: DatabaseDep) -> Any:
    """200 ``{"status": "ok"}`` while the store takes writes (a small write probe,
    at most every few seconds); otherwise the store error, as any request would get
    it, with ``"status": "unhealthy"``."""
    from headwater.server.api.errors import store_error_response
    from headwater.server.db.write_probe import probe_write

    probe = probe_write(db)
    if probe.error is None:
        return {"status": "ok"}
    return store_error_response(probe.error, probe.detail, status="unhealthy")


@router.get("/version", summary="Server version and store kind")
def version(db: DatabaseDep) -> dict[str, str]:
    from headwater._version import __version__
    from headwater.server.db.migrate import head_revision

    return {"version": __version__, "database": db.dialect, "schema": head_revision()}
