"""``/concurrency``: tag limits and global limits, their slots, holders (linked to
their runs) and waiters; change a limit, reset it (give back every slot), delete it,
create one.  Every change is a plain HTML form (POST, CSRF token) through the same
store functions and schemas as the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page

ui = ui_page("concurrency", nav="Concurrency", order=55)
router = ui.router

FormText = Annotated[str, Form()]


def _back(notice: str) -> Response:
    return RedirectResponse(f"/concurrency?notice={quote(notice)}", status_code=303)


def _page(request: Request, *, problem: str | None = None, status_code: int = 200) -> Response:
    from headwater.server.store import concurrency_limits as store

    with request.app.state.db.begin_read() as conn:
        tags = store.read_limits(conn, tags=True, limit=1000)
        others = store.read_limits(conn, tags=False, limit=1000)
    context = {
        "page_title": "Concurrency",
        "tag_limits": tags,
        "global_limits": others,
        "form_problem": problem,
    }
    return ui.render(request, "concurrency.html", context, status_code=status_code)


@router.get("/concurrency")
def concurrency_page(request: Request) -> Response:
    return _page(request)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return f"Nothing was changed: {field}: {first['msg']}"
    return f"Nothing was changed: {exc}"


def _number(raw: str, kind: type[Any] = int) -> Any:
    text = raw.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a number") from None


@router.post("/concurrency")
def create_limit(
    request: Request,
    name: FormText = "",
    kind: FormText = "global",
    limit: FormText = "",
    slot_decay_per_second: FormText = "",
) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.schemas.concurrency import ConcurrencyLimitCreate
    from headwater.server.store import concurrency_limits as store

    full = f"tag:{name.strip()}" if kind == "tag" else name.strip()
    try:
        create = ConcurrencyLimitCreate(
            name=full,
            limit=_number(limit),
            slot_decay_per_second=_number(slot_decay_per_second, float) or 0.0,
        )
        with request.app.state.db.begin_write() as conn:
            store.create_limit(conn, limit=create)
    except (ValidationError, ValueError, UserInputError) as exc:
        return _page(request, problem=_problem(exc), status_code=400)
    return _back(f"Created limit {full} ({create.limit} slots).")


@router.post("/concurrency/{name}/edit")
def edit_limit(
    request: Request,
    name: str,
    limit: FormText = "",
    slot_decay_per_second: FormText = "",
    active: FormText = "",
) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.schemas.concurrency import ConcurrencyLimitUpdate
    from headwater.server.store import concurrency_limits as store

    try:
        changes = ConcurrencyLimitUpdate(
            limit=_number(limit),
            slot_decay_per_second=_number(slot_decay_per_second, float),
            active=active == "on",
        )
        with request.app.state.db.begin_write() as conn:
            saved = store.update_limit(conn, name=name, changes=changes)
    except (ValidationError, ValueError, UserInputError) as exc:
        return _page(request, problem=_problem(exc), status_code=400)
    state = "active" if saved.active else "inactive"
    return _back(f"Saved {name}: {saved.limit} slots, {state}.")


@router.post("/concurrency/{name}/reset")
def reset_limit(request: Request, name: str) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.server.store import concurrency_limits as store

    try:
        with request.app.state.db.begin_write() as conn:
            freed = store.reset_limit(conn, name=name)
    except UserInputError as exc:
        return _page(request, problem=_problem(exc), status_code=404)
    return _back(f"Reset {name}: {freed} holders' slots given back.")


@router.post("/concurrency/{name}/delete")
def delete_limit(request: Request, name: str) -> Response:
    from headwater.server.store import concurrency_limits as store

    with request.app.state.db.begin_write() as conn:
        deleted = store.delete_limit(conn, name=name)
    if not deleted:
        return _page(request, problem=f"No limit named {name}.", status_code=404)
    return _back(f"Deleted {name}.")
