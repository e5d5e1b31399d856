"""``/login`` and ``/logout``: only active when the server has an API key."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page
from headwater.server.ui.session import SESSION_COOKIE, SESSION_SECONDS, cookie_header, sign_session

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
    if expected is None:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not hmac.compare_digest(api_key.encode(), expected.encode()):
        context = {"next": _safe_next(next), "error": "That is not this server's API key."}
        return ui.render(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    value = sign_session(expected)
    response.headers.append(
        "set-cookie", cookie_header(SESSION_COOKIE, value, max_age=SESSION_SECONDS).decode()
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", max_age=0).decode())
    return response
