"""Plain ASGI middleware: API-key check and request-body size limit.

Written against ASGI directly (not Starlette's ``BaseHTTPMiddleware``): they run on
every request, and a pure ASGI wrapper costs a function call, not a task.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

Scope = dict[str, Any]
Receive = Any
Send = Any
App = Any

API_PREFIX = "/api"
#: Paths answered without an API key (load balancers and `make run` poll it).
OPEN_PATHS = frozenset({"/api/health"})
#: Incoming webhooks: called by other systems; the unguessable slug is their secret.
OPEN_PREFIX = "/api/hooks/"


async def _send_json(send: Send, status: int, detail: str, headers: list[Any]) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class APIKeyMiddleware:
    """Every ``/api`` request but health and incoming webhooks (``/api/hooks/``) needs
    ``Authorization: Bearer <key>``.

    The key is compared in constant time and never logged or echoed."""

    def __init__(self, app: App, api_key: str) -> None:
        self.app = app
        self._expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if (
            (path == API_PREFIX or path.startswith(API_PREFIX + "/"))
            and path not in OPEN_PATHS
            and not path.startswith(OPEN_PREFIX)
        ):
            given = b""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    given = value
                    break
            if not hmac.compare_digest(given, self._expected):
                detail = (
                    "invalid API key" if given else "missing API key: send Authorization: Bearer"
                )
                await _send_json(send, 401, detail, [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Requests with a body larger than ``max_bytes`` get 413 before it is read."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._too_large(send)
                    return
                break
        received = 0
        limit = self.max_bytes

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised while FastAPI reads the body: it answers with this status.
                    from starlette.exceptions import HTTPException

                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, limited_receive, send)

    def _detail(self) -> str:
        return f"request body is larger than {self.max_bytes:,} bytes; send less"

    async def _too_large(self, send: Send) -> None:
        await _send_json(send, 413, self._detail(), [])
