"""Static assets, shipped in the package and served from memory.

The stylesheet is one file for the browser (``/static/headwater.css``) assembled
from ``static/css/*.css`` in name order, so each page's rules can live next to the
rest without a build step.  URLs carry a content hash (``asset_url``), so assets
are cached for a year and never stale.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from headwater.server.ui.errors import PageNotFound

STATIC = Path(__file__).parent / "static"
STYLESHEET = "headwater.css"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

router = APIRouter(include_in_schema=False)


@functools.lru_cache(maxsize=64)
def _asset(name: str) -> tuple[bytes, str] | None:
    """(content, hash) of the asset ``name``; ``None`` if there is no such file."""
    if name == STYLESHEET:
        parts = sorted((STATIC / "css").glob("*.css"))
        content = b"\n".join(part.read_bytes() for part in parts)
    else:
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            return None
        content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:12]


def asset_url(name: str) -> str:
    found = _asset(name)
    suffix = f"?v={found[1]}" if found else ""
    return f"/static/{name}{suffix}"


@router.get("/static/{name:path}")
def static_file(name: str) -> Response:
    found = _asset(name)
    media_type = _TYPES.get(Path(name).suffix)
    if found is None or media_type is None:
        raise PageNotFound(f"There is no asset {name}.")
    content, digest = found
    headers = {"cache-control": "public, max-age=31536000, immutable", "etag": f'"{digest}"'}
    return Response(content, media_type=media_type, headers=headers)
