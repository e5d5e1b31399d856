"""``/artifacts``: the latest artifact of each key; ``/artifacts/key/{key}``: a key's
latest version rendered and its history; ``/artifacts/{id}``: one artifact rendered;
``/artifacts/{id}/data``: its current data as JSON (progress bars poll it)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import JSONResponse, Response

from headwater.server.ui.artifact_view import summary, view
from headwater.server.ui.errors import PageNotFound
from headwater.server.ui.pages._runs import parse_id
from headwater.server.ui.registry import ui_page

ui = ui_page("artifacts", nav="Artifacts", order=65)
router = ui.router

PAGE = 100
HISTORY = 50


def rows(artifacts: list[Any]) -> list[dict[str, Any]]:
    """Artifacts as list rows (shared with the run pages)."""
    return [{"artifact": a, "summary": summary(a)} for a in artifacts]


@router.get("/artifacts")
def artifacts_page(request: Request, type: str = "") -> Response:
    from headwater.schemas.artifacts import ARTIFACT_TYPES, ArtifactFilter
    from headwater.server.store import artifacts

    kind = type if type in ARTIFACT_TYPES else None
    flt = ArtifactFilter.model_validate({"latest": True, "type": kind})
    with request.app.state.db.begin_read() as conn:
        latest = artifacts.read_artifacts(conn, artifact_filter=flt, limit=PAGE)
        total = artifacts.count_artifacts(conn, artifact_filter=flt)
    context = {
        "page_title": "Artifacts",
        "rows": rows(latest),
        "total": total,
        "kind": kind or "",
        "kinds": ARTIFACT_TYPES,
    }
    return ui.render(request, "artifacts.html", context)


@router.get("/artifacts/key/{key}")
def artifact_key_page(request: Request, key: str) -> Response:
    from headwater.schemas.artifacts import ArtifactFilter, check_artifact_key
    from headwater.server.store import artifacts

    try:
        check_artifact_key(key)
    except ValueError:
        raise PageNotFound(f"no artifact has the key {key[:60]!r}") from None
    with request.app.state.db.begin_read() as conn:
        history = artifacts.read_artifacts(
            conn, artifact_filter=ArtifactFilter(key=key), limit=HISTORY, with_data=False
        )
        latest = artifacts.read_latest_artifact(conn, key=key, with_data=False)
        shown = _shown(conn, latest.id) if latest is not None else None
    if shown is None:
        raise PageNotFound(f"no artifact has the key {key!r}")
    context = {
        "page_title": f"Artifact {key}",
        "shown": shown,
        "history": history,
        "key": key,
    }
    return ui.render(request, "artifact.html", context)


@router.get("/artifacts/{artifact_id}")
def artifact_page(request: Request, artifact_id: str) -> Response:
    from headwater.schemas.artifacts import ArtifactFilter
    from headwater.server.store import artifacts

    found_id = parse_id(artifact_id, "artifact")
    with request.app.state.db.begin_read() as conn:
        shown = _shown(conn, found_id)
        if shown is None:
            raise PageNotFound(f"artifact {found_id} not found")
        found = shown["artifact"]
        history = (
            artifacts.read_artifacts(
                conn, artifact_filter=ArtifactFilter(key=found.key), limit=HISTORY, with_data=False
            )
            if found.key
            else []
        )
    context = {
        "page_title": f"Artifact {found.key or found.id}",
        "shown": shown,
        "history": history,
        "key": found.key,
    }
    return ui.render(request, "artifact.html", context)


def _shown(conn: Any, artifact_id: Any) -> dict[str, Any] | None:
    """The artifact as the template shows it; a table's rows go to the page as the
    stored JSON text (decoding and encoding 10,000 rows again would cost more than
    the rest of the page)."""
    from headwater.server.store import artifacts

    bare = artifacts.read_artifact(conn, artifact_id=artifact_id, with_data=False)
    if bare is None:
        return None
    if bare.type == "table":
        text = artifacts.read_artifact_data_text(conn, artifact_id=artifact_id)
        return view(bare, table_text=text or "[]")
    full = artifacts.read_artifact(conn, artifact_id=artifact_id)
    return view(full) if full is not None else None


@router.get("/artifacts/{artifact_id}/data")
def artifact_data(request: Request, artifact_id: str) -> Response:
    from headwater.server.store import artifacts

    found_id = parse_id(artifact_id, "artifact")
    with request.app.state.db.begin_read() as conn:
        found = artifacts.read_artifact(conn, artifact_id=found_id)
    if found is None:
        return JSONResponse({"detail": f"artifact {found_id} not found"}, status_code=404)
    return JSONResponse({"type": found.type, "data": found.data})
