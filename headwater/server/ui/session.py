"""Who may see the UI, and which forms may change things.

With an API key set on the server, the UI asks for it once (``/login``), records a
session in the store (``ui_sessions``) and gives the browser an HttpOnly cookie
holding a random token.  The store keeps only HMAC-SHA256(key, token), so a copy of
the table signs nobody in, and a new API key makes every old session unknown.  Each
UI request looks its session up: one idle for ``HEADWATER_UI_SESSION_IDLE_SECONDS``
or older than ``HEADWATER_UI_SESSION_LIFETIME_SECONDS`` is deleted and the browser
signs in again; ``/logout`` deletes it, so a copied cookie stops working at once.
Expired sessions are also swept by a background service (``services/ui_sessions``).

Every form and every script request that changes something carries a CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``), and requests a browser marks
as cross-site (``Sec-Fetch-Site: cross-site``) are refused outright.  In a session
the token is HMAC-SHA256(key, "csrf:" + session token): it is valid in that session
only.  Without a session (the sign-in form, or a server without an API key, where
there is nothing to sign in to) it is a double-submit token: the ``hw_csrf`` cookie,
SameSite=Strict, must equal the one sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from fastapi import Request

from headwater.server.db.database import Database
from headwater.server.store.ui_sessions import (
    SessionLimits,
    create_session,
    delete_session,
    read_session,
    session_alive,
    touch_session,
)
from headwater.server.ui.errors import UIForbidden

SESSION_COOKIE = "hw_session"
CSRF_COOKIE = "hw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Paths served without a session: the login form and what it needs to render.
OPEN_PREFIXES = ("/login", "/logout", "/static/", "/favicon.ico")
#: Paths that never look a session up (they show nothing of the store).
_NO_LOOKUP = ("/static/", "/favicon.ico")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

Scope = dict[str, Any]


class SessionBook:
    """The server-side sessions of one server: keyed by an HMAC of the cookie token."""

    def __init__(self, db: Database, api_key: str, limits: SessionLimits) -> None:
        self.db = db
        self._key = api_key.encode()
        self.limits = limits

    def _mac(self, purpose: str, token: str) -> str:
        return hmac.new(self._key, f"hw-{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def session_id(self, token: str) -> str:
        return self._mac("session", token)

    def csrf_token(self, token: str) -> str:
        """The CSRF token of the session whose cookie token is ``token``."""
        return self._mac("csrf", token)

    def open(self, now: float | None = None) -> str:
        """A new session; its cookie token."""
        token = secrets.token_urlsafe(32)
        with self.db.begin_write() as conn:
            create_session(
                conn,
                session_id=self.session_id(token),
                now=time.time() if now is None else now,
                limits=self.limits,
            )
        return token

    def check(self, token: str, now: float | None = None) -> bool:
        """Whether ``token`` names a live session; an expired one is deleted, and a
        live one's ``last_seen`` is moved on (at most every ``touch_every`` seconds)."""
        if not _TOKEN.fullmatch(token):
            return False
        now = time.time() if now is None else now
        session_id = self.session_id(token)
        with self.db.begin_read() as conn:
            found = read_session(conn, session_id=session_id)
        if found is None:
            return False
        last_seen, expires = found
        if not session_alive(last_seen, expires, now, self.limits):
            with self.db.begin_write() as conn:
                delete_session(conn, session_id=session_id)
            return False
        if now - last_seen >= self.limits.touch_every:
            with self.db.begin_write() as conn:
                touch_session(conn, session_id=session_id, now=now)
        return True

    def close(self, token: str) -> bool:
        """Sign out: delete the session (whether there was one)."""
        if not _TOKEN.fullmatch(token):
            return False
        with self.db.begin_write() as conn:
            return delete_session(conn, session_id=self.session_id(token))


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


async def _send_simple(send: Any, status: int, body: bytes, headers: list[Any]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class UISessionMiddleware:
    """Finds the request's session, sets its CSRF token, and with an API key sends
    visitors without a live session to ``/login``.  Pure ASGI: it runs on every
    request to the UI (``/api`` has its own key check)."""

    def __init__(self, app: Any, book: SessionBook | None) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_ui_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cookies = _cookies(scope)
        state = scope.setdefault("state", {})
        state["auth_enabled"] = self.book is not None
        state["ui_book"] = self.book
        token = cookies.get(SESSION_COOKIE, "")
        live = False
        if self.book is not None and token and not path.startswith(_NO_LOOKUP):
            from anyio import to_thread
            from sqlalchemy.exc import SQLAlchemyError

            try:
                live = await to_thread.run_sync(self.book.check, token)
            except SQLAlchemyError as exc:
                await self._store_error(send, exc)
                return
        state["ui_session"] = token if live else None
        fresh_csrf = False
        if live and self.book is not None:
            csrf = self.book.csrf_token(token)
        else:
            csrf = cookies.get(CSRF_COOKIE, "")
            fresh_csrf = not _TOKEN.fullmatch(csrf)
            if fresh_csrf:
                csrf = secrets.token_urlsafe(32)
        state["csrf_token"] = csrf
        if self.book is not None and not live and not path.startswith(OPEN_PREFIXES):
            await self._to_login(scope, send)
            return
        private = self.book is not None and not path.startswith(_NO_LOOKUP)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and (fresh_csrf or private):
                headers = list(message.get("headers", []))
                if fresh_csrf:
                    headers.append((b"set-cookie", cookie_header(CSRF_COOKIE, csrf, max_age=None)))
                if private and not any(name == b"cache-control" for name, _ in headers):
                    # Nothing behind a sign-in may come back from a cache after sign-out.
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _store_error(send: Any, exc: Exception) -> None:
        from headwater.server.db.store_errors import describe

        body = f"the store cannot be read to check your session: {describe(exc)}".encode()
        await _send_simple(send, 503, body, [(b"content-type", b"text/plain; charset=utf-8")])

    async def _to_login(self, scope: Scope, send: Any) -> None:
        target = scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        wants_json = any(
            name == b"accept" and b"application/json" in value for name, value in scope["headers"]
        )
        if scope["method"] not in SAFE_METHODS or wants_json:
            body = b'{"detail":"sign in first: the server has an API key (open /login)"}'
            await _send_simple(send, 401, body, [(b"content-type", b"application/json")])
            return
        location = "/login?next=" + quote(target, safe="")
        headers = [
            (b"location", location.encode()),
            (b"content-length", b"0"),
            (b"cache-control", b"no-store"),
        ]
        await _send_simple(send, 303, b"", headers)


async def check_csrf(request: Request) -> None:
    """Dependency of every UI route: unsafe methods must prove they come from our page
    (and, in a session, from a page of this very session)."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise UIForbidden("cross-site requests are refused")
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    if not given:
        raise UIForbidden("the form has no CSRF token: reload the page and retry")
    state = request.scope.get("state", {})
    if state.get("ui_session"):
        expected = state.get("csrf_token", "")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise UIForbidden(
                "the form's CSRF token does not belong to this session (it came from "
                "another session or another site): reload the page and retry"
            )
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise UIForbidden("the form expired or came from another site: reload the page and retry")
