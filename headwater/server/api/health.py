"""``/api/health`` (no API key needed) and ``/api/version``."""

from __future__ import annotations

from fastapi import APIRouter

from headwater.server.api.dependencies import DatabaseDep

router = APIRouter(tags=["Server"])


@router.get("/health", summary="Is the server up?")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/version", summary="Server version and store kind")
def version(db: DatabaseDep) -> dict[str, str]:
    from headwater._version import __version__
    from headwater.server.db.migrate import head_revision

    return {"version": __version__, "database": db.dialect, "schema": head_revision()}
