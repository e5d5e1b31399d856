"""Saved filters of ``/flow-runs``: save the list's current query string under a name
(kept in the store, ``store/saved_filters.py``), delete one.  The list shows them as
links above the table."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page

ui = ui_page("flow-runs")
router = ui.router

FormText = Annotated[str, Form()]
#: What a saved query keeps: the filter, not the page position or a message.
DROPPED = frozenset({"cursor", "notice", "problem"})


def _clean(query: str) -> str:
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    return urlencode([(k, v) for k, v in pairs if k not in DROPPED])


def _to_list(query: str, **message: str) -> Response:
    parts = [p for p in (query, urlencode(message)) if p]
    return RedirectResponse("/flow-runs?" + "&".join(parts), status_code=303)


@router.post("/flow-runs/saved-filters")
def save_filter(request: Request, name: FormText = "", query: FormText = "") -> Response:
    from headwater.exceptions import ObjectAlreadyExists, UserInputError
    from headwater.schemas.saved_filters import SavedFilterCreate
    from headwater.server.store import saved_filters

    query = _clean(query)
    try:
        saved = SavedFilterCreate(page="flow-runs", name=name, query=query)
        with request.app.state.db.begin_write() as conn:
            saved_filters.create_saved_filter(conn, saved=saved)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return _to_list(query, problem=f"Not saved: {field}: {first['msg'].lower()}")
    except (ObjectAlreadyExists, UserInputError) as exc:
        return _to_list(query, problem=f"Not saved: {exc}")
    return _to_list(query, notice=f"Saved this filter as {saved.name!r}.")


@router.post("/flow-runs/saved-filters/{filter_id}/delete")
def delete_filter(request: Request, filter_id: str) -> Response:
    from headwater.server.store import saved_filters

    try:
        key = UUID(filter_id)
    except ValueError:
        return _to_list("", problem="That saved filter does not exist.")
    with request.app.state.db.begin_write() as conn:
        found = saved_filters.read_saved_filter(conn, filter_id=key)
        deleted = found is not None and saved_filters.delete_saved_filter(conn, filter_id=key)
    if not deleted or found is None:
        return _to_list("", problem="That saved filter does not exist (deleted already?).")
    return _to_list("", notice=f"Deleted the saved filter {found.name!r}.")
