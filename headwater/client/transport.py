"""HTTP to the Headwater server: JSON encoding, retries with backoff, error mapping.

Connection errors, 5xx and 429 answers (``store_busy`` among them) are retried with
exponential backoff until a per-call deadline (``retry_for``), each retry logged (at
WARNING when a flow run is waiting on the call); a server that never answered is
given up on sooner when the caller says so (``unreachable_for``: a flow run fails
fast against a stopped server).  An answer
saying the server's store cannot be written (``store_full``, ``store_read_only``,
``schema_mismatch``) is not retried: it raises ``StoreUnwritable`` with the server's
words.  Other answers are returned to the caller.  The API key travels in the
``Authorization`` header only and never appears in an error.
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

    from headwater.client.wire import WireResponse

    #: An answer: ``WireResponse`` on plain HTTP, ``httpx.Response`` otherwise.
    Answer = httpx.Response | WireResponse

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
    """Keep-alive connections (thread-safe) plus the retry policy: ``http.client`` for
    a plain ``http://`` server (see ``wire``), one ``httpx.Client`` otherwise."""

    def __init__(self, api_url: str, *, api_key: str | None, timeout: float) -> None:
        from headwater.client.wire import WirePool, plain_http_target

        self.base_url = api_base(api_url)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._read_timeout = timeout
        self._connect_timeout = min(timeout, 5.0)
        self._httpx_client: httpx.Client | None = None
        target = plain_http_target(self.base_url)
        self.wire = WirePool(*target, self._headers) if target is not None else None
        if self.wire is None:
            self.http  # noqa: B018 (made now: an invalid URL fails on the first request)

    @property
    def http(self) -> httpx.Client:
        """The httpx client (https, proxies), made on first use."""
        if self._httpx_client is None:
            import httpx

            self._httpx_client = httpx.Client(
                base_url=self.base_url,
                headers=self._headers,
                timeout=httpx.Timeout(self._read_timeout, connect=self._connect_timeout),
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            )
        return self._httpx_client

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        retry_for: float,
        ok_missing: bool = False,
        unreachable_for: float | None = None,
        warn: bool = False,
    ) -> Answer:
        """Send, retrying transient failures for up to ``retry_for`` seconds.

        Returns a 2xx answer; raises ``ObjectNotFound`` for 404 (``None``-like
        success for 404 when ``ok_missing`` and an earlier attempt may have applied
        the call), ``StoreUnwritable`` when the server says its store cannot be
        written (disk full, read-only, schema mismatch: not retried),
        ``ServerRequestError`` for other 4xx, ``ServerUnavailable`` when the deadline
        passes, or after ``unreachable_for`` seconds without any answer at all.  With
        ``warn`` (a flow run is waiting on the call) each retry is logged at WARNING,
        otherwise at DEBUG (a CLI read fails within seconds in one line; the writer
        reports its own retries)."""
        started = time.monotonic()
        deadline = started + retry_for
        if unreachable_for is not None:
            give_up_unanswered = started + min(unreachable_for, retry_for)
        else:
            give_up_unanswered = deadline
        delay = _FIRST_DELAY
        attempts = 0
        answered = False
        while True:
            attempts += 1
            problem: str
            wait = delay
            try:
                response = self._send(method, path, body, None if answered else give_up_unanswered)
            except _TransportProblem as exc:
                problem = str(exc)
            else:
                status = response.status_code
                if status < 400:
                    return response
                answered = True
                unwritable = _store_unwritable(response, self.base_url)
                if unwritable is not None:
                    raise unwritable
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}: {_detail(response)}"
                    wait = max(delay, _retry_after(response))
                else:
                    if status == 404 and ok_missing and attempts > 1:
                        return response
                    raise _client_error(response, self.base_url)
            now = time.monotonic()
            if now + wait > (deadline if answered else give_up_unanswered):
                raise ServerUnavailable(self._gave_up(problem, answered, now - started))
            logger.log(
                logging.WARNING if warn else logging.DEBUG,
                "%s %s failed (%s); retrying in %.2g s",
                method,
                path,
                problem,
                wait,
            )
            time.sleep(wait)
            delay = min(delay * 2, _MAX_DELAY)

    def _send(self, method: str, path: str, body: bytes | None, give_up: float | None) -> Any:
        """One attempt; ``_TransportProblem`` when no answer came.  Before the server
        has answered once (``give_up`` set), a connection attempt may not outlast the
        time left to reach it (a stopped host would hold each one 5 s)."""
        headers = _JSON_HEADERS if body is not None else None
        connect = self._connect_timeout
        if give_up is not None:
            connect = min(connect, max(give_up - time.monotonic(), 0.05))
        if self.wire is not None:
            from headwater.client.wire import WireError

            try:
                return self.wire.request(
                    method,
                    path,
                    body,
                    headers,
                    connect_timeout=connect,
                    read_timeout=self._read_timeout,
                )
            except WireError as exc:
                raise _TransportProblem(str(exc)) from None
        import httpx

        try:
            return self.http.request(
                method,
                path,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(self._read_timeout, connect=connect),
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ConfigurationError(
                f"invalid HEADWATER_API_URL {self.base_url!r}: {exc}"
            ) from None
        except httpx.TransportError as exc:
            raise _TransportProblem(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None

    def _gave_up(self, problem: str, answered: bool, waited: float) -> str:
        if answered:
            return (
                f"the Headwater server at {self.base_url} did not accept the request "
                f"within {waited:.3g} s ({problem})"
            )
        return (
            f"cannot reach the Headwater server at {self.base_url} ({problem}); "
            "is `headwater server start` running, and is HEADWATER_API_URL right?"
        )

    def close(self) -> None:
        if self.wire is not None:
            self.wire.close()
        if self._httpx_client is not None:
            self._httpx_client.close()


class _TransportProblem(Exception):
    """An attempt got no answer (its text says why); retried until the deadline."""


def _detail(response: Answer) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, str) or not detail:
        detail = response.reason_phrase or "no detail"
    return detail


def _retry_after(response: Answer) -> float:
    try:
        return min(float(response.headers.get("retry-after", "0")), _MAX_DELAY * 5)
    except ValueError:
        return 0.0


def _store_unwritable(response: Answer, base_url: str) -> Exception | None:
    """The server's store refuses writes for good (the body's ``error`` names why:
    ``store_full``, ``store_read_only``, ``schema_mismatch``; a bare 507 is a full
    store): retrying would not help."""
    from headwater.exceptions import StoreUnwritable
    from headwater.schemas.store_errors import PERMANENT, STORE_FULL

    code = _error_code(response)
    if code is None or code not in PERMANENT:
        if response.status_code != 507:
            return None
        code = STORE_FULL
    return StoreUnwritable(
        f"the Headwater server at {base_url} cannot store anything: {_detail(response)} ({code})",
        code,
    )


def _error_code(response: Answer) -> str | None:
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


def _client_error(response: Answer, base_url: str) -> Exception:
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


def _named_error(response: Answer, detail: str) -> Exception | None:
    """The exception the server named (``error``), for the user errors both clients
    raise alike (a missing block, a name already taken, a wrong encryption key…)."""
    name = _error_code(response)
    if name is None:
        return None
    from headwater import exceptions

    kind = getattr(exceptions, name, None)
    if isinstance(kind, type) and issubclass(kind, exceptions.UserInputError):
        if issubclass(kind, exceptions.ParameterValidationError):
            errors = response.json().get("errors")  # per field, as the server named them
            return kind(detail, errors if isinstance(errors, list) else None)
        try:
            return kind(detail)
        except TypeError:
            return None
    return None
