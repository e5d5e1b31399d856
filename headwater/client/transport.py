"""HTTP to the Headwater server: JSON encoding, retries with backoff, error mapping.

Connection errors, 5xx and 429 answers are retried with exponential backoff until a
per-call deadline (``retry_for``); other answers are returned to the caller.  The
API key travels in the ``Authorization`` header only and never appears in an error.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from headwater.exceptions import (
    ConfigurationError,
    ObjectNotFound,
    ServerAuthenticationError,
    ServerRequestError,
    ServerUnavailable,
)

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("headwater.client")

_FIRST_DELAY = 0.05
_MAX_DELAY = 2.0
_JSON_HEADERS = {"Content-Type": "application/json"}


def _default(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)  # State, StateDetails
    if to_dict is not None:
        return to_dict()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Compact JSON bytes; UUIDs, datetimes and States included.

    pydantic-core's encoder (Rust; pydantic-core without pydantic imports in ~70 ms)
    encodes a thousand task-run records in ~2.5 ms where ``json`` takes ~16 ms: on
    the batching writer's thread, that is GIL time taken from the flow itself."""
    from pydantic_core import to_json

    try:
        return to_json(value, fallback=_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot send as JSON: {exc}") from None


def api_base(url: str) -> str:
    """``http://host:4200`` and ``http://host:4200/api`` both name the API."""
    base = url.rstrip("/")
    return base if base.endswith("/api") else base + "/api"


class Transport:
    """One ``httpx.Client`` (thread-safe, keep-alive) plus the retry policy."""

    def __init__(self, api_url: str, *, api_key: str | None, timeout: float) -> None:
        import httpx

        self.base_url = api_base(api_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._httpx = httpx
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        retry_for: float,
        ok_missing: bool = False,
    ) -> httpx.Response:
        """Send, retrying transient failures for up to ``retry_for`` seconds.

        Returns a 2xx answer; raises ``ObjectNotFound`` for 404 (``None``-like
        success for 404 when ``ok_missing`` and an earlier attempt may have applied
        the call), ``ServerRequestError`` for other 4xx, ``ServerUnavailable`` when
        the deadline passes."""
        httpx = self._httpx
        deadline = time.monotonic() + retry_for
        delay = _FIRST_DELAY
        attempts = 0
        while True:
            attempts += 1
            problem: str
            wait = delay
            try:
                response = self.http.request(
                    method, path, content=body, headers=_JSON_HEADERS if body is not None else None
                )
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise ConfigurationError(
                    f"invalid HEADWATER_API_URL {self.base_url!r}: {exc}"
                ) from None
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}: {_detail(response)}"
                    wait = max(delay, _retry_after(response))
                else:
                    if status == 404 and ok_missing and attempts > 1:
                        return response
                    raise _client_error(response, self.base_url)
            if time.monotonic() + wait > deadline:
                raise ServerUnavailable(
                    f"cannot reach the Headwater server at {self.base_url} ({problem}); "
                    "is `headwater server start` running, and is HEADWATER_API_URL right?"
                )
            if attempts in (1, 10) or attempts % 50 == 0:
                logger.debug("%s %s failed (%s); retrying", method, path, problem)
            time.sleep(wait)
            delay = min(delay * 2, _MAX_DELAY)

    def close(self) -> None:
        self.http.close()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, str) or not detail:
        detail = response.reason_phrase or "no detail"
    return detail


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", "0")), _MAX_DELAY * 5)
    except ValueError:
        return 0.0


def _client_error(response: httpx.Response, base_url: str) -> Exception:
    status = response.status_code
    detail = _detail(response)
    named = _named_error(response, detail)
    if named is not None:
        return named
    if status == 404:
        return ObjectNotFound(detail)
    if status in (401, 403):
        return ServerAuthenticationError(
            f"the server at {base_url} refused the request: {detail}; "
            "set HEADWATER_API_KEY to the server's key"
        )
    return ServerRequestError(status, detail)


def _named_error(response: httpx.Response, detail: str) -> Exception | None:
    """The exception the server named (``error``), for the user errors both clients
    raise alike (a missing block, a name already taken, a wrong encryption key…)."""
    try:
        name = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(name, str):
        return None
    from headwater import exceptions

    kind = getattr(exceptions, name, None)
    if isinstance(kind, type) and issubclass(kind, exceptions.UserInputError):
        try:
            return kind(detail)
        except TypeError:
            return None
    return None
