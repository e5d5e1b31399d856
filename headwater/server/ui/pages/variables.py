"""``/variables``: the named JSON values flows read with ``Variable.get``; list
(filter by name or tag), create, edit (value and tags) and delete.  Plain HTML forms
(POST, CSRF token) through the same store functions and schemas as the API, so a
value the API refuses is refused here with the same one-line reason."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page

ui = ui_page("variables", nav="Variables", order=62)
router = ui.router

FormText = Annotated[str, Form()]
PAGE_LIMIT = 500


def _back(notice: str) -> Response:
    return RedirectResponse(f"/variables?notice={quote(notice)}", status_code=303)


def _shown(value: Any) -> str:
    """A value as the form shows it: JSON (a string in quotes, so it round-trips)."""
    return json.dumps(value, ensure_ascii=False)


def _page(
    request: Request,
    *,
    problem: str | None = None,
    status_code: int = 200,
    draft: dict[str, str] | None = None,
) -> Response:
    from headwater.server.store import variables as store

    params = request.query_params
    text = params.get("q", "").strip()[:255]
    tag = params.get("tag", "").strip()[:255]
    with request.app.state.db.begin_read() as conn:
        found = store.read_variables(conn, tag=tag or None, limit=PAGE_LIMIT)
    if text:
        found = [v for v in found if text.lower() in v.name]
    rows = [
        {
            "name": v.name,
            "value": _shown(v.value),
            "tags": v.tags,
            "updated": v.updated.timestamp(),
        }
        for v in found
    ]
    context = {
        "page_title": "Variables",
        "rows": rows,
        "q": text,
        "tag": tag,
        "limit": PAGE_LIMIT,
        "form_problem": problem,
        "draft": draft or {"name": "", "value": "", "tags": ""},
    }
    return ui.render(request, "variables.html", context, status_code=status_code)


@router.get("/variables")
def variables_page(request: Request) -> Response:
    return _page(request)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"Nothing was changed: {field}: {message}"
    return f"Nothing was changed: {exc}"


def _value(raw: str) -> Any:
    """The form's value as JSON; a bare word that is not JSON is refused with a hint."""
    text = raw.strip()
    if not text:
        raise ValueError('value: enter JSON, e.g. "text", 42, true, [1, 2] or {"a": 1}')
    try:
        return json.loads(text)
    except ValueError:
        hint = json.dumps(text[:40])
        raise ValueError(
            f"value: {text[:40]!r} is not JSON (a string needs quotes: {hint})"
        ) from None


def _tags(raw: str) -> list[str]:
    return [t for t in dict.fromkeys(part.strip() for part in raw.split(",")) if t]


def _save(request: Request, name: str, value: str, tags: str, *, overwrite: bool) -> Response:
    from headwater.exceptions import ObjectAlreadyExists, UserInputError
    from headwater.schemas.variables import VariableCreate
    from headwater.server.store import variables as store

    try:
        variable = VariableCreate(name=name.strip(), value=_value(value), tags=_tags(tags))
        with request.app.state.db.begin_write() as conn:
            if overwrite and store.read_variable(conn, name=variable.name) is None:
                raise UserInputError(f"no variable named {variable.name!r} (deleted meanwhile?)")
            store.set_variable(conn, variable=variable, overwrite=overwrite)
    except ObjectAlreadyExists:
        problem = f"Nothing was changed: a variable named {name.strip()!r} exists already"
        return _page(request, problem=problem, status_code=409, draft=_draft(name, value, tags))
    except (ValidationError, ValueError, UserInputError) as exc:
        status = 404 if overwrite and "no variable named" in str(exc) else 400
        draft = None if overwrite else _draft(name, value, tags)
        return _page(request, problem=_problem(exc), status_code=status, draft=draft)
    verb = "Saved" if overwrite else "Created"
    return _back(f"{verb} variable {variable.name}.")


def _draft(name: str, value: str, tags: str) -> dict[str, str]:
    return {"name": name[:255], "value": value[:5000], "tags": tags[:1000]}


@router.post("/variables")
def create_variable(
    request: Request, name: FormText = "", value: FormText = "", tags: FormText = ""
) -> Response:
    return _save(request, name, value, tags, overwrite=False)


@router.post("/variables/{name}/edit")
def edit_variable(
    request: Request, name: str, value: FormText = "", tags: FormText = ""
) -> Response:
    return _save(request, name, value, tags, overwrite=True)


@router.post("/variables/{name}/delete")
def delete_variable(request: Request, name: str) -> Response:
    from headwater.server.store import variables as store

    with request.app.state.db.begin_write() as conn:
        deleted = store.delete_variable(conn, name=name)
    if not deleted:
        return _page(request, problem=f"No variable named {name[:255]!r}.", status_code=404)
    return _back(f"Deleted variable {name}.")
