"""Who may see the UI, and which forms may change things.

With an API key set on the server, the UI asks for it once (``/login``) and keeps a
signed, HttpOnly session cookie: ``<issued epoch>.<HMAC-SHA256(key, issued)>``.
Nothing is stored server-side; changing the key signs everyone out.

Every form and every script request that changes something carries a CSRF token
(double submit: the ``hw_csrf`` cookie, SameSite=Strict, must equal the form field
``csrf_token`` or the ``X-CSRF-Token`` header), and requests a browser marks as
cross-site (``Sec-Fetch-Site: cross-site``) are refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from fastapi import Request

from headwater.server.ui.errors import UIForbidden

SESSION_COOKIE = "hw_session"
CSRF_COOKIE = "hw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 7 * 24 * 3600
#: Paths served without a session: the login form and what it needs to render.
OPEN_PREFIXES = ("/login", "/static/", "/favicon.ico")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = dict[str, Any]


def sign_session(api_key: str, issued: float | None = None) -> str:
    stamp = str(int(issued if issued is not None else time.time()))
    mac = hmac.new(api_key.encode(), f"hw-session:{stamp}".encode(), hashlib.sha256).hexdigest()
    return f"{stamp}.{mac}"


def session_valid(api_key: str, value: str, now: float | None = None) -> bool:
    stamp, _, _mac = value.partition(".")
    if not stamp.isdigit():
        return False
    age = (now if now is not None else time.time()) - int(stamp)
    if age < -60 or age > SESSION_SECONDS:
        return False
    return hmac.compare_digest(sign_session(api_key, int(stamp)), value)


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope["headers"]:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no session
                return {}
            return {key: morsel.value for key, morsel in jar.items()}
    return {}


def _is_ui_path(path: str) -> bool:
    return not (path == "/api" or path.startswith("/api/"))


def cookie_header(name: str, value: str, *, max_age: int | None, http_only: bool = True) -> bytes:
    parts = [
        f"{name}={value}",
        "Path=/",
        "SameSite=Strict" if name == CSRF_COOKIE else "SameSite=Lax",
    ]
    if http_only:
        parts.append("HttpOnly")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode()


class UISessionMiddleware:
    """Issues the CSRF cookie and, with an API key, sends visitors without a valid
    session to ``/login``.  Pure ASGI: it runs on every request."""

    def __init__(self, app: Any, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_ui_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        csrf = cookies.get(CSRF_COOKIE, "")
        fresh_csrf = len(csrf) != 43  # token_urlsafe(32) is 43 characters
        if fresh_csrf:
            csrf = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_token"] = csrf
        state["auth_enabled"] = self.api_key is not None
        path: str = scope["path"]
        needs_login = self.api_key is not None and not path.startswith(OPEN_PREFIXES)
        if needs_login and not session_valid(self.api_key or "", cookies.get(SESSION_COOKIE, "")):
            await self._to_login(scope, send)
            return

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if fresh_csrf and message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie_header(CSRF_COOKIE, csrf, max_age=None)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _to_login(self, scope: Scope, send: Any) -> None:
        target = scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        wants_json = any(
            name == b"accept" and b"application/json" in value for name, value in scope["headers"]
        )
        if scope["method"] not in SAFE_METHODS or wants_json:
            body = b'{"detail":"sign in first: the server has an API key (open /login)"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        location = "/login?next=" + quote(target, safe="")
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def check_csrf(request: Request) -> None:
    """Dependency of every UI route: unsafe methods must prove they come from our page."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise UIForbidden("cross-site requests are refused")
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise UIForbidden("the form expired or came from another site: reload the page and retry")
