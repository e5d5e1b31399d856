"""``/login`` and ``/logout``: only active when the server has an API key.

Signing in records a session in the store (``server/ui/session.py``); signing out
deletes it, so the cookie is worthless afterwards even if it was copied."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page
from headwater.server.ui.session import SESSION_COOKIE, SessionBook, cookie_header

ui = ui_page()
router = ui.router


def _safe_next(target: str) -> str:
    """Only paths on this site: never ``//evil.example`` or ``https://…``."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _api_key(request: Request) -> str | None:
    key: str | None = request.app.state.ui_api_key
    return key


def _book(request: Request) -> SessionBook | None:
    book: SessionBook | None = request.scope.get("state", {}).get("ui_book")
    return book


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if _api_key(request) is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return ui.render(request, "login.html", {"next": _safe_next(next), "error": ""})


@router.post("/login")
def login(
    request: Request, api_key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    expected = _api_key(request)
    book = _book(request)
    if expected is None or book is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not hmac.compare_digest(api_key.encode(), expected.encode()):
        context = {"next": _safe_next(next), "error": "That is not this server's API key."}
        return ui.render(request, "login.html", context, status_code=401)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        book.close(old)  # a new sign-in replaces the browser's old session
    token = book.open()
    response = RedirectResponse(_safe_next(next), status_code=303)
    max_age = int(book.limits.lifetime)
    response.headers.append(
        "set-cookie", cookie_header(SESSION_COOKIE, token, max_age=max_age).decode()
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    book = _book(request)
    token = request.cookies.get(SESSION_COOKIE)
    if book is not None and token:
        await run_in_threadpool(book.close, token)
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", max_age=0).decode())
    return response
